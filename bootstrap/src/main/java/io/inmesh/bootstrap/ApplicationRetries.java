package io.inmesh.bootstrap;

/**
 * Tells the mesh that the application's own retry mechanism (Resilience4j {@code Retry}, Spring
 * Retry's {@code RetryTemplate}, Feign's {@code Retryer}; Reactor's {@code retryWhen} through
 * {@link #REACTOR_CONTEXT_KEY}) wraps the calls made on this thread. No sidecar can know this; in-process the mesh can, and it is how retry storms are
 * prevented: the application retries business errors, so while it does, the mesh retries only
 * transient network errors for those calls and tells the hops below to do the same.
 *
 * <p>Instrumentations of retry libraries call {@link #enter} when a retrying execution starts on a
 * thread and {@link #exit} when it ends (success, or the final failure). Scopes nest; a scope left
 * open by a bug is bounded by the thread's life, and costs one thread-local read per call.
 */
public final class ApplicationRetries {
  /**
   * The key of the mark a reactive application retry ({@code Mono/Flux.retryWhen}, {@code retry(n)})
   * puts in its subscription's Reactor context: a thread-bound scope can't follow a subscription,
   * whose attempts resubscribe on whatever thread the retry signal arrives. The meshed Reactor
   * clients read it when they take a call's decision and enter a scope around it; Reactor's own
   * sources ({@code fromCallable}, {@code fromSupplier}, {@code defer}) enter one while they run
   * another client's call (instrumentations/reactor-retry).
   */
  public static final String REACTOR_CONTEXT_KEY = "inmesh.application-retry";

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

  /**
   * Requests handed to another thread while an application retry wraps them (AsyncFeign's default
   * client sends each attempt on its executor): keyed by identity, weakly, so a request that is
   * never sent is forgotten with it.
   */
  private static final java.util.Map<Object, Boolean> HANDED_OVER =
      java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

  /** Marks {@code request} when an application retry wraps the current thread. */
  public static void handOver(Object request) {
    if (request != null && active()) {
      HANDED_OVER.put(request, Boolean.TRUE);
    }
  }

  /** True when {@code request} was handed over under an application retry: its sender enters a scope. */
  public static boolean handedOver(Object request) {
    return request != null && HANDED_OVER.containsKey(request);
  }
}
