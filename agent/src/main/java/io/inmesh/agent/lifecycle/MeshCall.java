package io.inmesh.agent.lifecycle;

import io.inmesh.agent.retry.FailureKind;
import io.inmesh.agent.retry.RetryPolicy;
import io.inmesh.bootstrap.Mesh;
import io.inmesh.policy.faults.StageFaults;
import io.inmesh.agent.upstream.Admission;
import io.inmesh.agent.upstream.ClusterState;
import io.inmesh.agent.upstream.EndpointState;
import io.inmesh.agent.upstream.Permit;
import io.inmesh.agent.upstream.RetryToken;
import io.inmesh.bootstrap.Attempt;
import io.inmesh.bootstrap.HeaderSink;
import io.inmesh.bootstrap.LocalAnswer;
import io.inmesh.bootstrap.MirrorRequest;
import io.inmesh.bootstrap.OutboundCall;
import io.inmesh.policy.compile.RouteDecision;
import io.inmesh.policy.compile.RoutePolicy;
import io.inmesh.policy.model.HeaderOperations;
import io.inmesh.policy.model.Headers;
import io.inmesh.policy.model.TrafficPolicy;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * One logical call: the decision taken once (route, split, fault, mirror sampling), then the
 * attempts. The engine's decisions live here and in the stages it calls (balancer, outlier
 * detection and pool limits in {@code upstream}, retry classification, budget and backoff in
 * {@code retry}); the adapter only runs the loop {@link OutboundCall} describes.
 *
 * <p>Attempts of one call are sequential (an adapter never runs two at once), so the per-call
 * state needs no locking; it is published to the library's threads through the adapter's own
 * hand-offs (futures, the request object).
 */
final class MeshCall implements OutboundCall {
  private final Lifecycle lc;
  private final Lifecycle.Request request;
  /** Null when the call is answered by the mesh from the start. */
  private final RouteDecision.Routed routed;
  private final LocalAnswer answer;
  private final RoutePolicy policy;
  private final RetryPolicy retry;
  private final TrafficPolicy traffic;
  private final ClusterState cluster;
  private final long start;
  private final long deadline;
  private final long delay;
  private final boolean retriesOwnedAbove;
  private final InboundContext inbound;
  private final String rewrittenPath;
  private final String rewrittenAuthority;
  private final boolean mirrorSampled;
  /** The Set-Cookie of a generated hash cookie, or null. */
  private final String setCookie;

  private int attempts;
  private int retries;
  private InetSocketAddress[] previous;
  private int previousCount;
  private boolean replayable = true;
  private LocalAnswer next;
  private boolean markedBelow;
  private boolean retried;
  private ResponseFlag flag;
  /** The call's own trace id when no inbound request gives one (mesh profile), 0 until its first attempt. */
  private long traceHi;
  private long traceLo;

  MeshCall(Lifecycle lc, Lifecycle.Request request, RouteDecision decision) {
    this.lc = lc;
    this.request = request;
    this.start = lc.nanoTime();
    this.policy = decision.policy();
    this.inbound = InboundContext.current();
    this.retriesOwnedAbove = RetryStormRule.statusRetriesOwnedAbove(inbound);
    LocalAnswer local = null;
    long delayNanos = 0;
    if (policy != null && policy.fault() != null) {
      var fault = policy.fault();
      if (fault.delay() != null && lc.sample(fault.delay().percentage())) {
        delayNanos = fault.delay().fixedDelay().toNanos();
        flag = ResponseFlag.DI;
      }
      if (fault.abort() != null && fault.abort().httpStatus() != null && lc.sample(fault.abort().percentage())) {
        local = LocalAnswer.of(fault.abort().httpStatus(), "FI");
      }
    }
    this.delay = delayNanos;
    if (decision instanceof RouteDecision.Routed r && local == null) {
      this.routed = r;
      this.traffic = r.trafficPolicy();
      this.cluster = r.cluster().passthrough() ? null : lc.upstreams().cluster(r.cluster().name());
      this.answer = null;
    } else {
      this.routed = null;
      this.traffic = null;
      this.cluster = null;
      this.answer = local != null ? local : lc.localAnswerFor((RouteDecision.Local) decision, request);
    }
    this.setCookie = routed == null ? null : generatedCookie(lc, traffic, request);
    this.retry = routed == null || policy == null ? null : lc.retryPolicy(policy.retries());
    long timeout = policy != null && policy.timeout() != null ? policy.timeout().toNanos() : 0;
    this.deadline = timeout > 0 ? start + delay + timeout : 0;
    this.rewrittenPath = routed == null ? null : lc.rewritePath(routed, request);
    this.rewrittenAuthority = routed == null || policy.rewrite() == null ? null : policy.rewrite().authority();
    this.mirrorSampled = routed != null && policy != null && !policy.mirrors().isEmpty();
    lc.stats().calls.increment();
    if (flag == ResponseFlag.DI) {
      lc.stats().flag(ResponseFlag.DI);
    }
  }

  /**
   * Consistent hashing on a cookie with a {@code ttl}: when the request has no such cookie, the
   * mesh makes one up, hashes the call on it and sets it on the response, so that the calls that
   * send it back go to the same endpoint (istio.io DestinationRule reference, HTTPCookie: "If
   * specified, a cookie with the TTL will be generated if the cookie is not present. If the TTL is
   * present and zero, the generated cookie will be a session cookie."). The header is Envoy's: a
   * quoted 64-bit hex value, {@code Max-Age} unless the TTL is zero, {@code Path} when given,
   * {@code HttpOnly}. Envoy hashes the downstream connection's addresses into the value; in-process
   * there is no downstream connection, so the value is random per call (as Envoy's differs per
   * HTTP/1 connection). Returns the {@code Set-Cookie} value, or null.
   */
  private static String generatedCookie(Lifecycle lc, TrafficPolicy traffic, Lifecycle.Request request) {
    if (traffic == null || traffic.loadBalancer() == null) {
      return null;
    }
    var ch = traffic.loadBalancer().consistentHash();
    if (ch == null || ch.key() != io.inmesh.policy.model.LoadBalancerSettings.HashKey.HTTP_COOKIE || ch.cookieTtl() == null
        || ch.name() == null || request.cookie(ch.name()) != null) {
      return null;
    }
    String value = String.format("%016x", lc.random().nextLong());
    request.generatedCookie(ch.name(), value);
    StringBuilder b = new StringBuilder(ch.name()).append("=\"").append(value).append('"');
    long ttl = ch.cookieTtl().getSeconds();
    if (ttl > 0) {
      b.append("; Max-Age=").append(ttl);
    }
    if (ch.cookiePath() != null && !ch.cookiePath().isEmpty()) {
      b.append("; Path=").append(ch.cookiePath());
    }
    return b.append("; HttpOnly").toString();
  }

  // ---- per call ---------------------------------------------------------------------------------

  @Override
  public long delayNanos() {
    return delay;
  }

  @Override
  public void editRequest(HeaderSink sink) {
    if (policy != null) {
      apply(policy.headers().request(), sink);
    }
    if (routed != null) {
      apply(routed.destinationHeaders().request(), sink);
    }
    if (retriesOwnedAbove) {
      sink.set(RetryStormRule.OWNER_HEADER, RetryStormRule.APP);
    } else if (inbound == null) {
      sink.remove(RetryStormRule.OWNER_HEADER); // only the mesh sets it
    }
    if (TracePropagation.active()) {
      // each attempt is a client span of its own in the traced profile: a fresh span id per attempt
      if (traceLo == 0 && (inbound == null || inbound.traceFlags < 0)) {
        traceHi = TracePropagation.nonZero(); // no request served on the calling thread: the call's own trace
        traceLo = TracePropagation.nonZero();
      }
      TracePropagation.inject(inbound, traceHi, traceLo, request.request, sink);
    }
  }

  @Override
  public String rewrittenPath() {
    return rewrittenPath;
  }

  @Override
  public String rewrittenAuthority() {
    return rewrittenAuthority;
  }

  @Override
  public void editResponse(HeaderSink sink) {
    if (policy != null) {
      apply(policy.headers().response(), sink);
    }
    if (routed != null) {
      Headers h = routed.destinationHeaders();
      apply(h.response(), sink);
    }
    ResponseFlag f = flag;
    if (f != null) {
      sink.set(ResponseFlag.HEADER, f.name());
    }
    if (setCookie != null) {
      sink.add("Set-Cookie", setCookie);
    }
  }

  private static void apply(HeaderOperations ops, HeaderSink sink) {
    if (ops == null || ops.isEmpty()) {
      return;
    }
    for (String r : ops.remove()) {
      sink.remove(r);
    }
    for (Map.Entry<String, String> e : ops.set().entrySet()) {
      sink.set(e.getKey(), e.getValue());
    }
    for (Map.Entry<String, String> e : ops.add().entrySet()) {
      sink.add(e.getKey(), e.getValue());
    }
  }

  @Override
  public void bodyReplayable(boolean replayable) {
    if (!replayable && this.replayable && retry != null && retry.maxRetries() > 0) {
      lc.noteBodyNotReplayable();
    }
    this.replayable = replayable;
  }

  @Override
  public boolean mirrors() {
    return mirrorSampled;
  }

  @Override
  public void mirror(MirrorRequest copy) {
    if (!mirrorSampled || copy == null) {
      return;
    }
    for (RoutePolicy.Mirror m : policy.mirrors()) {
      if (lc.sample(m.percentage())) {
        lc.mirrors().offer(m.cluster(), request, copy, rewrittenAuthority);
      }
    }
  }

  // ---- attempts ---------------------------------------------------------------------------------

  @Override
  public Attempt startAttempt() {
    Object a = begin();
    if (a instanceof Attempt attempt) {
      return attempt;
    }
    @SuppressWarnings("unchecked")
    Pending p = (Pending) a;
    long waitNanos = p.waitNanos;
    try {
      Permit permit = waitNanos > 0 ? p.future.get(waitNanos, TimeUnit.NANOSECONDS) : p.future.get();
      return routedAttempt(p.endpoint, permit);
    } catch (InterruptedException e) {
      giveUp(p);
      Thread.currentThread().interrupt();
      return overflow();
    } catch (Exception e) {
      giveUp(p);
      return overflow();
    }
  }

  @Override
  public CompletionStage<Attempt> startAttemptAsync() {
    Object a = begin();
    if (a instanceof Attempt attempt) {
      return CompletableFuture.completedFuture(attempt);
    }
    Pending p = (Pending) a;
    CompletableFuture<Permit> f = p.waitNanos > 0 ? p.future.orTimeout(p.waitNanos, TimeUnit.NANOSECONDS) : p.future;
    AtomicBoolean settled = new AtomicBoolean();
    // Cancelling the returned future (a library whose caller gave up while the attempt waited for
    // a pool slot) withdraws it from the line at once, as Envoy cancels a pending request when its
    // downstream resets: left in line, it held a pending slot until a connection freed, and the
    // next calls overflowed (503 UO). A permit granted in between is handed back.
    CompletableFuture<Attempt> out =
        new CompletableFuture<>() {
          @Override
          public boolean cancel(boolean mayInterruptIfRunning) {
            if (!settled.compareAndSet(false, true)) {
              return false; // already answered: the caller ends the attempt it got
            }
            super.cancel(mayInterruptIfRunning);
            giveUp(p);
            return true;
          }
        };
    f.whenComplete((permit, t) -> {
      if (!settled.compareAndSet(false, true)) {
        return; // cancelled first: giveUp handed the permit back
      }
      if (t != null || permit == null) {
        giveUp(p);
        out.complete(overflow());
      } else {
        out.complete(routedAttempt(p.endpoint, permit));
      }
    });
    return out;
  }

  private record Pending(EndpointState endpoint, CompletableFuture<Permit> future, long waitNanos) {}

  /** Gives up a pending admission; a permit granted in the meantime is handed back. */
  private static void giveUp(Pending p) {
    if (!p.future.cancel(false)) {
      Permit granted = p.future.getNow(null);
      if (granted != null) {
        granted.release(io.inmesh.agent.upstream.AttemptResult.failed(FailureKind.CANCELLED), 0);
      }
    }
  }

  /** An Attempt, or a Pending admission. */
  private Object begin() {
    attempts++;
    lc.stats().attempts.increment();
    if (answer != null) {
      lc.stats().flag(answer.reason());
      return local(answer);
    }
    if (next != null) {
      LocalAnswer n = next;
      next = null;
      lc.stats().flag(n.reason());
      return local(n);
    }
    if (cluster == null) {
      return new RoutedAttempt(this, null, null); // pass-through destination: the library resolves it
    }
    EndpointState ep = pick();
    if (ep == null) {
      lc.stats().flag(ResponseFlag.UH);
      return local(LocalAnswer.of(503, "UH"));
    }
    remember(ep.address());
    Admission adm = cluster.admit(ep, traffic.connectionPoolOrDefault());
    if (adm.overflow()) {
      return overflow();
    }
    if (adm.granted() != null) {
      return routedAttempt(ep, adm.granted());
    }
    // a pending request waits at most until the call's deadline, else the connect timeout (Envoy
    // bounds pending requests by the route timeout; a pool that never frees must not hang the call)
    long wait = deadline > 0 ? Math.max(1, deadline - lc.nanoTime()) : traffic.connectionPoolOrDefault().tcp().connectTimeout().toNanos();
    return new Pending(ep, adm.pending(), wait);
  }

  /** The balancer's pick; if the balancer fails, a uniformly random endpoint of the subset. */
  private EndpointState pick() {
    try {
      StageFaults.check(StageFaults.Stage.BALANCE);
      return cluster.pick(routed.addresses(), traffic, request, previousList());
    } catch (RuntimeException e) {
      Mesh.failed("balance", e);
      InetSocketAddress[] a = routed.addresses();
      return a.length == 0 ? null : cluster.endpoint(a[java.util.concurrent.ThreadLocalRandom.current().nextInt(a.length)]);
    }
  }

  /** The retry stage's verdict; if it fails, no retry: the outcome is delivered as it is. */
  private boolean retriable(int status, Function<String, String> header) {
    try {
      StageFaults.check(StageFaults.Stage.RETRY);
      return retry.retriable(status, header);
    } catch (RuntimeException e) {
      Mesh.failed("retry", e);
      return false;
    }
  }

  private boolean retriable(FailureKind kind, boolean requestSent) {
    try {
      StageFaults.check(StageFaults.Stage.RETRY);
      return retry.retriable(kind, requestSent);
    } catch (RuntimeException e) {
      Mesh.failed("retry", e);
      return false;
    }
  }

  private Attempt overflow() {
    lc.stats().flag(ResponseFlag.UO);
    return local(ResponseFlag.OVERFLOW);
  }

  private Attempt routedAttempt(EndpointState ep, Permit permit) {
    return new RoutedAttempt(this, ep, permit);
  }

  private Attempt local(LocalAnswer a) {
    return new LocalAttempt(lc, a);
  }

  private java.util.List<InetSocketAddress> previousList() {
    if (previousCount == 0) {
      return java.util.List.of();
    }
    if (previousCount == 1) {
      return java.util.List.of(firstPicked);
    }
    return java.util.Arrays.asList(previous).subList(0, previousCount);
  }

  /** The first attempt's endpoint: a call that is not retried allocates no array to remember it. */
  private InetSocketAddress firstPicked;

  private void remember(InetSocketAddress a) {
    if (previousCount == 0) {
      firstPicked = a;
      previousCount = 1;
      return;
    }
    if (previous == null) {
      previous = new InetSocketAddress[4];
      previous[0] = firstPicked;
    } else if (previousCount == previous.length) {
      previous = java.util.Arrays.copyOf(previous, previousCount * 2);
    }
    previous[previousCount++] = a;
  }

  long attemptDeadline() {
    long d = deadline;
    if (retry != null && retry.perTryTimeout() != null) {
      long perTry = lc.nanoTime() + retry.perTryTimeout().toNanos();
      d = d == 0 ? perTry : Math.min(d, perTry);
    }
    return d;
  }

  /** How an attempt to {@code endpoint} is secured (null: plain text). */
  io.inmesh.bootstrap.UpstreamTls tlsFor(InetSocketAddress endpoint) {
    UpstreamSecurity s = lc.security();
    return s == null || routed == null || endpoint == null ? null : s.tlsFor(routed, traffic, endpoint);
  }

  int connectTimeoutMillis() {
    if (traffic == null || traffic.connectionPool() == null) {
      return 0;
    }
    return (int) Math.min(Integer.MAX_VALUE, traffic.connectionPool().tcp().connectTimeout().toMillis());
  }

  /** connectionPool.http.maxRequestsPerConnection; 0: unlimited (Istio's default). */
  long maxRequestsPerConnection() {
    var cp = traffic == null ? null : traffic.connectionPool();
    return cp == null ? 0 : cp.http().maxRequestsPerConnection();
  }

  /** connectionPool.tcp.maxConnectionDuration in nanos; 0: none (Istio's default). */
  long maxConnectionDurationNanos() {
    var cp = traffic == null ? null : traffic.connectionPool();
    return cp == null || cp.tcp().maxConnectionDuration() == null ? 0 : cp.tcp().maxConnectionDuration().toNanos();
  }

  /**
   * The shorter of connectionPool.http.idleTimeout (no active requests) and tcp.idleTimeout (no
   * bytes either way), which for a kept-alive HTTP connection in a client's pool come to the same;
   * 0s disables either. 0 when the DestinationRule sets no connectionPool: Istio's 1 h default is
   * longer than every JDK client's own keep-alive, which then applies.
   */
  long connectionIdleTimeoutNanos() {
    var cp = traffic == null ? null : traffic.connectionPool();
    if (cp == null) {
      return 0;
    }
    long h = cp.http().idleTimeout() == null ? 0 : cp.http().idleTimeout().toNanos();
    long t = cp.tcp().idleTimeout() == null ? 0 : cp.tcp().idleTimeout().toNanos();
    return h <= 0 ? Math.max(0, t) : t <= 0 ? h : Math.min(h, t);
  }

  // ---- outcomes ---------------------------------------------------------------------------------

  int onResponse(int status, Function<String, String> header) {
    boolean marked = RetryStormRule.markedExhausted(header.apply(RetryStormRule.EXHAUSTED_HEADER));
    boolean failure = status >= 500;
    if (retry != null && retriable(status, header)) {
      if (marked) {
        markedBelow = true;
        lc.stats().retriesSkippedMarked.increment();
      } else if (retriesOwnedAbove) {
        lc.stats().retriesSkippedOwnedAbove.increment();
      } else if (mayRetry(true)) {
        return Attempt.AGAIN;
      } else if (retries >= retry.maxRetries() && retry.maxRetries() > 0) {
        flag = ResponseFlag.URX;
        lc.stats().flag(ResponseFlag.URX);
      }
    } else if (marked) {
      markedBelow = true;
    }
    if (failure) {
      reportFailureToInbound();
    }
    return Attempt.DELIVER;
  }

  int onFailure(Throwable t, boolean timedOut, boolean requestSent, boolean applicationTimeout) {
    if (applicationTimeout) {
      return Attempt.FAIL; // the application's own shorter timeout wins
    }
    FailureKind kind = timedOut ? FailureKind.PER_TRY_TIMEOUT : FailureKind.of(t);
    boolean overallExpired = deadline > 0 && lc.nanoTime() - deadline >= 0;
    if (!overallExpired && retry != null && retriable(kind, requestSent)) {
      if (mayRetry(!requestSent || replayable)) {
        return Attempt.AGAIN;
      }
    }
    reportFailureToInbound();
    LocalAnswer answer = switch (kind) {
      case PER_TRY_TIMEOUT -> ResponseFlag.TIMEOUT;
      case CONNECT_FAILURE -> ResponseFlag.CONNECT_FAILURE;
      case RESET, REFUSED_STREAM -> ResponseFlag.RESET;
      default -> null;
    };
    if (overallExpired) {
      answer = ResponseFlag.TIMEOUT;
    }
    if (answer == null) {
      return Attempt.FAIL;
    }
    next = answer;
    return Attempt.AGAIN; // the next attempt is the mesh's own answer, as a sidecar would give
  }

  private boolean mayRetry(boolean bodyOk) {
    if (retries >= retry.maxRetries()) {
      return false;
    }
    if (!bodyOk) {
      lc.stats().retriesSkippedBody.increment();
      return false;
    }
    if (deadline > 0 && lc.nanoTime() - deadline >= 0) {
      return false;
    }
    RetryToken token = cluster == null ? RetryToken.NONE : cluster.admitRetry(traffic);
    if (token == null) {
      lc.stats().retryOverflow.increment();
      return false;
    }
    pendingRetryToken = token;
    retries++;
    retried = true;
    lc.stats().retries.increment();
    return true;
  }

  private RetryToken pendingRetryToken;

  /** The retry token of the retry about to start, released when that attempt ends. */
  RetryToken takeRetryToken() {
    RetryToken t = pendingRetryToken;
    pendingRetryToken = null;
    return t;
  }

  long backoffNanos() {
    if (next != null || retry == null) {
      return 0;
    }
    long b;
    try {
      StageFaults.check(StageFaults.Stage.RETRY);
      b = retry.backoffNanos(retries, lc.random());
    } catch (RuntimeException e) {
      Mesh.failed("retry", e);
      b = 0;
    }
    if (deadline > 0) {
      b = Math.min(b, Math.max(0, deadline - lc.nanoTime()));
    }
    return b;
  }

  private void reportFailureToInbound() {
    if (inbound != null && (retried || markedBelow || retriesOwnedAbove)) {
      inbound.outboundExhausted();
    }
  }

  Lifecycle lifecycle() {
    return lc;
  }

  @Override
  public String toString() {
    return routed != null ? "call to " + routed.cluster().name() : "local answer " + answer;
  }
}
