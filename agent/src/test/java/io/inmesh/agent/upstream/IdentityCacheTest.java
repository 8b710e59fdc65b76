package io.inmesh.agent.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The identity-keyed cache the per-call path uses for what it derives from compiled snapshot objects (issue 13). */
class IdentityCacheTest {

  /** A key whose equals/hashCode say "all the same": the cache must not be fooled by them. */
  static final class Key {
    final String name;

    Key(String name) {
      this.name = name;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key;
    }

    @Override
    public int hashCode() {
      return 1;
    }
  }

  @Test
  void aKeySeenAgainIsNotLoadedAgain() {
    IdentityCache<Key, String> cache = new IdentityCache<>(16);
    AtomicInteger loads = new AtomicInteger();
    Key k = new Key("a");
    assertThat(cache.get(k, x -> x.name + loads.incrementAndGet())).isEqualTo("a1");
    assertThat(cache.get(k, x -> x.name + loads.incrementAndGet())).isEqualTo("a1");
    assertThat(loads).hasValue(1);
  }

  @Test
  void equalButDistinctKeysEachGetTheirOwnValue() {
    // a new snapshot compiles new (possibly equal) objects: each is looked up as itself
    IdentityCache<Key, String> cache = new IdentityCache<>(16);
    Key a = new Key("a");
    Key b = new Key("b");
    assertThat(a).isEqualTo(b);
    assertThat(cache.get(a, x -> x.name)).isEqualTo("a");
    assertThat(cache.get(b, x -> x.name)).isEqualTo("b");
  }

  @Test
  void moreKeysThanSlotsStillAnswerRightByLoadingAgain() {
    IdentityCache<Key, String> cache = new IdentityCache<>(4);
    List<Key> keys = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      keys.add(new Key("k" + i));
    }
    AtomicInteger loads = new AtomicInteger();
    for (int round = 0; round < 3; round++) {
      for (Key k : keys) {
        assertThat(cache.get(k, x -> {
          loads.incrementAndGet();
          return x.name;
        })).isEqualTo(k.name);
      }
    }
    assertThat(loads.get()).isGreaterThan(100); // 4 slots cannot hold 100 keys: collisions load again
  }

  @Test
  void theSizeIsAPowerOfTwo() {
    assertThatThrownBy(() -> new IdentityCache<Key, String>(100)).isInstanceOf(IllegalArgumentException.class);
  }
}
