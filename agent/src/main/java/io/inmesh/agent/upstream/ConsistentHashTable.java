package io.inmesh.agent.upstream;

/**
 * A consistent-hash lookup over one endpoint list: a hash lands on an endpoint index; the next
 * candidates (for an ejected endpoint, or one a previous attempt used) are taken by walking on, so
 * a missing endpoint only moves its own keys.
 */
abstract class ConsistentHashTable {
  /** The table's size parameter (ring size or Maglev table size), to tell when a policy changed it. */
  abstract long size();

  abstract boolean maglev();

  /** The endpoint index of the {@code step}-th candidate for {@code hash} (0: the owner). */
  abstract int candidate(long hash, int step);

  /** How many candidates a walk may visit before every position has been seen. */
  abstract int positions();

  /** Picks the first candidate the filter accepts, or -1. */
  final int pick(long hash, Candidates filter) {
    int positions = positions();
    for (int step = 0; step < positions; step++) {
      int i = candidate(hash, step);
      if (filter.accepts(i)) {
        return i;
      }
    }
    return -1;
  }

  /** Which endpoint indexes a pick may return. */
  interface Candidates {
    boolean accepts(int index);
  }
}
