package io.inmesh.agent.upstream;

import java.util.Arrays;

/**
 * Ketama-style ring hash (Envoy's RING_HASH, Istio's default for consistentHash): each endpoint
 * owns ⌈minimumRingSize / N⌉ points rounded up to a power of two on a 64-bit ring; a key belongs to the first point at or
 * after its hash. Removing an endpoint only moves the keys of its own points.
 *
 * <p>Each point is packed in one long: the point's hash in the high bits and the owner's index in
 * the low {@code indexBits}, so the ring is one primitive sort with no boxing even at millions of
 * points; the few low hash bits given up only reorder points that would be neighbours anyway.
 */
final class RingHashTable extends ConsistentHashTable {
  /** Envoy's maximum ring size. */
  static final long MAX_RING_SIZE = 8L * 1024 * 1024;

  private final long minimumRingSize;
  private final long[] points;
  private final int indexBits;
  private final long indexMask;

  RingHashTable(String[] endpointKeys, long minimumRingSize) {
    int n = endpointKeys.length;
    this.minimumRingSize = minimumRingSize;
    this.indexBits = Math.max(1, 32 - Integer.numberOfLeadingZeros(Math.max(1, n - 1)));
    this.indexMask = (1L << indexBits) - 1;
    long wanted = Math.max(n, Math.min(Math.max(1, minimumRingSize), MAX_RING_SIZE));
    // Points per endpoint: enough for the minimum ring size, rounded up to a power of two. Envoy
    // scales its ring to exactly the minimum, so every endpoint's point count changes with the
    // number of endpoints and a removal also moves keys between the endpoints that stay (about
    // 10% of them going from 5 endpoints to 4 at 1024 points); rounded up, the count stays the
    // same for most changes and only the removed endpoint's keys move. The ring is then at most
    // twice the minimum.
    long exact = Math.max(1, (wanted + n - 1) / n);
    long roundedUp = exact <= 1 ? 1 : Long.highestOneBit(exact - 1) << 1;
    int perEndpoint = (int) Math.max(1, Math.min(roundedUp, MAX_RING_SIZE / n));
    long[] p = new long[n * perEndpoint];
    int k = 0;
    StringBuilder key = new StringBuilder(64);
    for (int i = 0; i < n; i++) {
      for (int r = 0; r < perEndpoint; r++) {
        key.setLength(0);
        key.append(endpointKeys[i]).append('_').append(r);
        p[k++] = (KeyHash.of(key) & ~indexMask) | i;
      }
    }
    Arrays.sort(p);
    this.points = p;
  }

  @Override
  long size() {
    return minimumRingSize;
  }

  @Override
  boolean maglev() {
    return false;
  }

  @Override
  int positions() {
    return points.length;
  }

  @Override
  int candidate(long hash, int step) {
    long target = hash & ~indexMask;
    int at = Arrays.binarySearch(points, target);
    if (at < 0) {
      at = -at - 1; // first point greater than the target
    }
    return (int) (points[(at + step) % points.length] & indexMask);
  }

  int ringSize() {
    return points.length;
  }
}
