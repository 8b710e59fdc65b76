package io.inmesh.agent.upstream;

import java.util.function.Function;

/**
 * A small, lock-free, allocation-free (on a hit) cache keyed by object identity, for what the
 * per-call path derives from the compiled snapshot's immutable objects (a route's retry policy,
 * a cluster's TLS decisions): looked up once per object per snapshot instead of hashed by value on
 * every call (issue 13, item 3). Direct-mapped: a slot holds one immutable entry, so a reader sees
 * a whole entry or another one, never a torn pair; a collision only means computing again through
 * {@code load}, which must itself be idempotent (the caller's canonical map). Entries of objects
 * from older snapshots are overwritten as new ones come; nothing grows.
 */
public final class IdentityCache<K, V> {
  private record Entry<K, V>(K key, V value) {}

  private final Entry<K, V>[] slots;
  private final int mask;

  @SuppressWarnings("unchecked")
  public IdentityCache(int sizePowerOfTwo) {
    if (Integer.bitCount(sizePowerOfTwo) != 1) {
      throw new IllegalArgumentException("size must be a power of two: " + sizePowerOfTwo);
    }
    this.slots = (Entry<K, V>[]) new Entry<?, ?>[sizePowerOfTwo];
    this.mask = sizePowerOfTwo - 1;
  }

  /** The value for {@code key} (never null), computing it with {@code load} on a miss. */
  public V get(K key, Function<? super K, ? extends V> load) {
    int h = System.identityHashCode(key);
    int i = (h ^ (h >>> 16)) & mask;
    Entry<K, V> e = slots[i];
    if (e != null && e.key == key) {
      return e.value;
    }
    V v = load.apply(key);
    slots[i] = new Entry<>(key, v);
    return v;
  }
}
