package io.inmesh.bootstrap;

/**
 * Tells the mesh that the application's own retry mechanism (Resilience4j {@code Retry}, later
 * Spring Retry, Reactor {@code retryWhen}, Feign's {@code Retryer}) wraps the calls made on this
 * thread. No sidecar can know this; in-process the mesh can, and it is how retry storms are
 * prevented: the application retries business errors, so while it does, the mesh retries only
 * transient network errors for those calls and tells the hops below to do the same.
 *
 * <p>Instrumentations of retry libraries call {@link #enter} when a retrying execution starts on a
 * thread and {@link #exit} when it ends (success, or the final failure). Scopes nest; a scope left
 * open by a bug is bounded by the thread's life, and costs one thread-local read per call.
 */
public final class ApplicationRetries {
  private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);

  private ApplicationRetries() {}

  public static void enter() {
    DEPTH.get()[0]++;
  }

  public static void exit() {
    int[] d = DEPTH.get();
    if (d[0] > 0) {
      d[0]--;
    }
  }

  /** True while an application retry wraps the current thread's calls. */
  public static boolean active() {
    return DEPTH.get()[0] > 0;
  }
}
