package io.inmesh.bootstrap;

/**
 * One logical client call through the mesh: the per-call decision (resolve, split, fault, mirror)
 * was taken once when the adapter got this object, and holds across the library's own
 * authentication retries and across mesh retries. The call then runs one or more {@link Attempt}s;
 * the engine owns every decision (endpoint, pool admission, deadlines, retry or not, backoff),
 * and the adapter supplies only mechanics: send in its library's own way, cut an attempt off at
 * its deadline, deliver or drop a response.
 *
 * <p>The loop every adapter runs:
 *
 * <pre>
 *   wait delayNanos()                      (an injected delay; never on an event-loop thread)
 *   edit the request (editRequest)
 *   for (;;) {
 *     Attempt a = call.startAttempt();     (or startAttemptAsync for non-blocking libraries)
 *     send to a.address() — the logical host, URI and Host header stay as the app wrote them;
 *       a local reply (a.isLocalReply()) goes to the agent's responder, which answers in HTTP
 *     cut it off at a.deadlineNanos() and report a.onFailure(timeout, true)
 *     on status + headers: verdict = a.onResponse(status, headers)
 *     on exception:        verdict = a.onFailure(t, false)
 *     DELIVER: hand the response to the application, a.onEnd() when its body is done
 *     AGAIN:   drop this response (drain it), wait a.backoffNanos(), loop
 *     FAIL:    surface the exception to the application as the library would
 *   }
 * </pre>
 */
public interface OutboundCall {

  /** Delay to inject before the first attempt (Istio fault delay), 0 for none. */
  long delayNanos();

  /**
   * Starts the next attempt: endpoint pick (balancer, outlier ejection), connection-pool
   * admission. May wait for a pending pool slot (bounded by the call's deadline); adapters of
   * non-blocking libraries use {@link #startAttemptAsync} instead.
   */
  Attempt startAttempt();

  /**
   * Like {@link #startAttempt} but never parks a thread: the stage completes when admitted.
   * Cancelling its {@code toCompletableFuture()} while it waits for a pool slot gives up the place
   * in line at once (the caller gave up); it returns false when the attempt was already given.
   */
  java.util.concurrent.CompletionStage<Attempt> startAttemptAsync();

  /**
   * Applies the route's request edits (header operations, the retry-owner marker for the hops
   * below, the attempt count) to a request about to be sent.
   */
  void editRequest(HeaderSink request);

  /** The path to send, after the route's rewrite; null when unchanged. */
  String rewrittenPath();

  /** The authority (Host) to send, after the route's rewrite; null when unchanged. */
  String rewrittenAuthority();

  /** Applies the route's response edits to a delivered response's headers. */
  void editResponse(HeaderSink response);

  /**
   * The adapter tells the engine whether it can send the body again (no body, or a body of known
   * length of at most {@link #MAX_REPLAY_BYTES} that the library or the adapter can replay). When
   * it can't, attempts after the first happen only for failures where nothing was sent.
   */
  void bodyReplayable(boolean replayable);

  /**
   * Offers a copy of the request to the route's mirrors (fire and forget, bounded queue); the
   * adapter calls it once, after the first attempt started, with what it can read of the request.
   * Does nothing when the route has no mirror or the copy is not sampled.
   */
  void mirror(MirrorRequest request);

  /** True when the route mirrors (so the adapter only builds a {@link MirrorRequest} then). */
  boolean mirrors();

  /** Bodies up to this size are kept for replay (retries, mirrors), as linkerd2-proxy does. */
  int MAX_REPLAY_BYTES = 64 * 1024;
}
