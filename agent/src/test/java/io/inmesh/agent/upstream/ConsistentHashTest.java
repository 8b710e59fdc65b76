package io.inmesh.agent.upstream;

import static io.inmesh.agent.upstream.Fixtures.endpoints;
import static io.inmesh.agent.upstream.Fixtures.hashed;
import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.policy.model.LoadBalancerSettings.HashKey;
import io.inmesh.policy.model.TrafficPolicy;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * consistentHash (https://istio.io/latest/docs/reference/config/networking/destination-rule/#LoadBalancerSettings-ConsistentHashLB):
 * ring hash with minimumRingSize, Maglev with tableSize; header, cookie, query parameter, source IP.
 */
class ConsistentHashTest {
  private final Fixtures f = new Fixtures();

  /** A request carrying {@code value} as every hashable input. */
  static HashInput all(String value) {
    return new HashInput() {
      @Override
      public String header(String name) {
        return "x-user".equals(name) ? value : null;
      }

      @Override
      public String cookie(String name) {
        return "session".equals(name) ? value : null;
      }

      @Override
      public String queryParameter(String name) {
        return "user".equals(name) ? value : null;
      }

      @Override
      public String sourceIp() {
        return value;
      }
    };
  }

  private static TrafficPolicy policy(boolean maglev) {
    return hashed(HashKey.HTTP_HEADER_NAME, "x-user", maglev, maglev ? 65537 : 1024);
  }

  @ParameterizedTest(name = "maglev={0}")
  @ValueSource(booleans = {false, true})
  void theSameKeyAlwaysLandsOnTheSameEndpoint(boolean maglev) {
    InetSocketAddress[] eps = endpoints(5);
    ClusterState c = f.upstreams.cluster("c");
    Set<InetSocketAddress> used = new HashSet<>();
    for (int k = 0; k < 50; k++) {
      String key = "user-" + k;
      EndpointState first = c.pick(eps, policy(maglev), all(key), List.of());
      for (int i = 0; i < 20; i++) {
        assertThat(c.pick(eps, policy(maglev), all(key), List.of())).isSameAs(first);
      }
      used.add(first.address());
    }
    assertThat(used).as("50 keys spread over the 5 endpoints").hasSize(5);
  }

  @ParameterizedTest(name = "key={0}")
  @ValueSource(strings = {"HTTP_HEADER_NAME", "HTTP_COOKIE", "HTTP_QUERY_PARAMETER_NAME", "USE_SOURCE_IP"})
  void everyHashKeyKindHashesItsOwnValue(String kind) {
    HashKey key = HashKey.valueOf(kind);
    String name = switch (key) {
      case HTTP_HEADER_NAME -> "x-user";
      case HTTP_COOKIE -> "session";
      case HTTP_QUERY_PARAMETER_NAME -> "user";
      case USE_SOURCE_IP -> null;
    };
    TrafficPolicy p = hashed(key, name, false, 1024);
    InetSocketAddress[] eps = endpoints(4);
    ClusterState c = f.upstreams.cluster("c-" + kind);
    Map<String, InetSocketAddress> owner = new HashMap<>();
    for (int round = 0; round < 3; round++) {
      for (int k = 0; k < 40; k++) {
        InetSocketAddress a = c.pick(eps, p, all("10.1.0." + k), List.of()).address();
        assertThat(owner.putIfAbsent("k" + k, a) == null || owner.get("k" + k).equals(a)).isTrue();
      }
    }
    assertThat(new HashSet<>(owner.values())).hasSizeGreaterThan(1);
  }

  @ParameterizedTest(name = "maglev={0}")
  @ValueSource(booleans = {false, true})
  void aRemovedEndpointOnlyMovesItsOwnKeysMostly(boolean maglev) {
    InetSocketAddress[] five = endpoints(5);
    InetSocketAddress removed = five[2];
    InetSocketAddress[] four = Arrays.stream(five).filter(a -> !a.equals(removed)).toArray(InetSocketAddress[]::new);
    ClusterState c = f.upstreams.cluster("c");
    int keys = 2000;
    InetSocketAddress[] before = new InetSocketAddress[keys];
    for (int k = 0; k < keys; k++) {
      before[k] = c.pick(five, policy(maglev), all("key-" + k), List.of()).address();
    }
    int stayed = 0;
    int others = 0;
    for (int k = 0; k < keys; k++) {
      InetSocketAddress after = c.pick(four, policy(maglev), all("key-" + k), List.of()).address();
      assertThat(after).isNotEqualTo(removed);
      if (!before[k].equals(removed)) {
        others++;
        if (after.equals(before[k])) {
          stayed++;
        }
      }
    }
    // Modulo hashing would move about 4/5 of them; consistent hashing keeps nearly all.
    assertThat((double) stayed / others).isGreaterThan(0.95);
  }

  @ParameterizedTest(name = "maglev={0}")
  @ValueSource(booleans = {false, true})
  void anEjectedOwnerHandsItsKeysToTheNextEndpointOnly(boolean maglev) {
    InetSocketAddress[] eps = endpoints(4);
    ClusterState c = f.upstreams.cluster("c");
    TrafficPolicy p = new TrafficPolicy(
        policy(maglev).loadBalancer(), null, Fixtures.consecutive5xx(1, java.time.Duration.ofSeconds(30), 100, 0), null, List.of(), null);
    EndpointState owner = c.pick(eps, p, all("alice"), List.of());
    Fixtures.endOn(c, owner, AttemptResult.response(500)); // consecutive5xxErrors: 1 → ejected
    EndpointState stand = c.pick(eps, p, all("alice"), List.of());
    assertThat(stand).isNotSameAs(owner);
    for (int i = 0; i < 10; i++) {
      assertThat(c.pick(eps, p, all("alice"), List.of())).isSameAs(stand);
    }
  }

  @Test
  void aRetryUnderConsistentHashingGoesToTheKeysEndpointAgain() {
    // istiod leaves out the previous-hosts predicate when consistent hashing is on.
    InetSocketAddress[] eps = endpoints(3);
    ClusterState c = f.upstreams.cluster("c");
    EndpointState first = c.pick(eps, policy(false), all("bob"), List.of());
    assertThat(c.pick(eps, policy(false), all("bob"), List.of(first.address()))).isSameAs(first);
  }

  @Test
  void withoutAValueToHashThePickIsRandom() {
    InetSocketAddress[] eps = endpoints(4);
    ClusterState c = f.upstreams.cluster("c");
    Set<InetSocketAddress> seen = new HashSet<>();
    for (int i = 0; i < 100; i++) {
      seen.add(c.pick(eps, policy(true), HashInput.NONE, List.of()).address());
    }
    assertThat(seen).hasSize(4);
  }

  @Test
  void ringSizeFollowsMinimumRingSizeAndMaglevTableSizeIsPrime() {
    String[] keys = {"a:1", "b:1", "c:1"};
    assertThat(new RingHashTable(keys, 1024).ringSize()).isEqualTo(3 * 512); // ⌈1024 / 3⌉ = 342 → 512 each
    assertThat(new RingHashTable(keys, 3000).ringSize()).isEqualTo(3 * 1024);
    assertThat(new MaglevTable(keys, 65537).tableSize()).isEqualTo(65537);
    assertThat(new MaglevTable(keys, 1000).tableSize()).isEqualTo(1009); // raised to the next prime
  }

  @Test
  void maglevGivesEachEndpointAboutAnEqualShareOfTheTable() {
    String[] keys = {"10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80", "10.0.0.4:80", "10.0.0.5:80"};
    MaglevTable t = new MaglevTable(keys, 65537);
    int[] share = new int[keys.length];
    for (int slot = 0; slot < t.tableSize(); slot++) {
      share[t.candidate(slot, 0)]++;
    }
    for (int s : share) {
      assertThat(s).isBetween(65537 / 5 - 1, 65537 / 5 + 1); // Maglev's turns make shares differ by at most one
    }
  }
}
