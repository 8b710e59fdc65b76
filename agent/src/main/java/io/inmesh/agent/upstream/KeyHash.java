package io.inmesh.agent.upstream;

/**
 * 64-bit hashes for consistent hashing: FNV-1a over the UTF-16 code units, then a 64-bit
 * avalanche finaliser so nearby keys ("10.0.0.1:80_1", "..._2") spread over the whole ring.
 * Deterministic across JVMs and runs, unlike String.hashCode's 32 bits, which would crowd a ring
 * of a million points.
 */
final class KeyHash {
  private static final long FNV_OFFSET = 0xcbf29ce484222325L;
  private static final long FNV_PRIME = 0x100000001b3L;

  private KeyHash() {}

  static long of(CharSequence s) {
    return of(s, 0);
  }

  static long of(CharSequence s, long seed) {
    long h = FNV_OFFSET ^ seed;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      h ^= c & 0xff;
      h *= FNV_PRIME;
      h ^= c >>> 8;
      h *= FNV_PRIME;
    }
    return avalanche(h);
  }

  static long avalanche(long h) {
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }
}
