package io.inmesh.bench.floor;

/** What the floor's advice calls: from the bootstrap path, so any class loader's classes resolve it. */
public final class Hooks {
  private static volatile long calls;

  private Hooks() {}

  public static void hit() {
    calls++;
  }

  public static long calls() {
    return calls;
  }
}
