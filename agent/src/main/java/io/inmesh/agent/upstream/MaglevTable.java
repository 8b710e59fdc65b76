package io.inmesh.agent.upstream;

import java.math.BigInteger;

/**
 * Maglev hashing (Eisenbud et al., NSDI 2016; Envoy's MAGLEV): a lookup table of prime size M in
 * which every endpoint fills slots in the order of its own permutation (offset, skip), taking
 * turns, so each owns about M/N slots and removing one moves mostly its own slots.
 */
final class MaglevTable extends ConsistentHashTable {
  private static final long OFFSET_SEED = 0x9e3779b97f4a7c15L;
  private static final long SKIP_SEED = 0x632be59bd9b4e019L;

  private final long requestedSize;
  private final int[] table;

  MaglevTable(String[] endpointKeys, long tableSize) {
    this.requestedSize = tableSize;
    int m = primeAtLeast(Math.max(endpointKeys.length, tableSize));
    int n = endpointKeys.length;
    long[] offset = new long[n];
    long[] skip = new long[n];
    long[] next = new long[n];
    for (int i = 0; i < n; i++) {
      offset[i] = Long.remainderUnsigned(KeyHash.of(endpointKeys[i], OFFSET_SEED), m);
      skip[i] = Long.remainderUnsigned(KeyHash.of(endpointKeys[i], SKIP_SEED), m - 1) + 1;
    }
    int[] t = new int[m];
    java.util.Arrays.fill(t, -1);
    int filled = 0;
    while (filled < m) {
      for (int i = 0; i < n && filled < m; i++) {
        // M prime and 1 <= skip < M: the permutation visits every slot, so this ends.
        int slot = (int) ((offset[i] + next[i] * skip[i]) % m);
        while (t[slot] >= 0) {
          next[i]++;
          slot = (int) ((offset[i] + next[i] * skip[i]) % m);
        }
        t[slot] = i;
        next[i]++;
        filled++;
      }
    }
    this.table = t;
  }

  /**
   * Maglev needs a prime table size (Istio documents it); a non-prime one is raised to the next
   * prime rather than refused, since a permutation over a non-prime size may never fill the table.
   */
  static int primeAtLeast(long size) {
    if (size > 5_000_011L) {
      size = 5_000_011L; // a prime: bounds memory (20 MB) whatever the policy asks
    }
    BigInteger b = BigInteger.valueOf(Math.max(2, size));
    return b.isProbablePrime(30) ? b.intValue() : b.nextProbablePrime().intValue();
  }

  @Override
  long size() {
    return requestedSize;
  }

  @Override
  boolean maglev() {
    return true;
  }

  @Override
  int positions() {
    return table.length;
  }

  @Override
  int candidate(long hash, int step) {
    int at = (int) Long.remainderUnsigned(hash, table.length);
    return table[(at + step) % table.length];
  }

  int tableSize() {
    return table.length;
  }
}
