package io.inmesh.agent.lifecycle;

import io.inmesh.agent.local.LocalResponder;
import io.inmesh.agent.retry.RetryPolicy;
import io.inmesh.agent.upstream.HashInput;
import io.inmesh.agent.upstream.Upstreams;
import io.inmesh.bootstrap.LocalAnswer;
import io.inmesh.bootstrap.OutboundCall;
import io.inmesh.bootstrap.OutboundRequest;
import io.inmesh.policy.compile.RouteDecision;
import io.inmesh.policy.log.Log;
import io.inmesh.policy.model.HttpRedirect;
import io.inmesh.policy.model.HttpRetry;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * The call lifecycle's shared services: runtime upstream state (outlives snapshots), the local
 * responder, mirrors, counters, and the compiled retry policies. {@link #call} turns a route
 * decision into an {@link OutboundCall}.
 */
public final class Lifecycle {
  private final Upstreams upstreams;
  private final LocalResponder responder;
  private final CallStats stats = new CallStats();
  private final Mirrors mirrors;
  private final LongSupplier clock;
  private final Supplier<String> sourceIp;
  private final Map<HttpRetry, RetryPolicy> retryPolicies = new ConcurrentHashMap<>();
  private volatile UpstreamSecurity security;

  public Lifecycle(LocalResponder responder, Supplier<String> sourceIp) {
    this(new Upstreams(System::nanoTime, ThreadLocalRandom.current()), responder, System::nanoTime, sourceIp);
  }

  Lifecycle(Upstreams upstreams, LocalResponder responder, LongSupplier clock, Supplier<String> sourceIp) {
    this.upstreams = upstreams;
    this.responder = responder;
    this.clock = clock;
    this.sourceIp = sourceIp;
    this.mirrors = new Mirrors(upstreams, stats);
  }

  /** The call for a decision the route table took for {@code request}. */
  public OutboundCall call(RouteDecision decision, OutboundRequest request) {
    return new MeshCall(this, new Request(request, sourceIp), decision);
  }

  /** Installs the {@code secure} stage (auto mTLS, DestinationRule tls); without one every attempt is plain text. */
  public void security(UpstreamSecurity s) {
    this.security = s;
  }

  UpstreamSecurity security() {
    return security;
  }

  public CallStats stats() {
    return stats;
  }

  public Upstreams upstreams() {
    return upstreams;
  }

  Mirrors mirrors() {
    return mirrors;
  }

  long nanoTime() {
    return clock.getAsLong();
  }

  RandomGenerator random() {
    return ThreadLocalRandom.current();
  }

  /** True with probability {@code percent}/100 (Istio percentages; 100 when unset). */
  boolean sample(double percent) {
    return percent >= 100 || (percent > 0 && ThreadLocalRandom.current().nextDouble(100) < percent);
  }

  RetryPolicy retryPolicy(HttpRetry retry) {
    if (retry == null) {
      return null;
    }
    // by identity first: a route's HttpRetry is one object per snapshot, and hashing the record by
    // value on every call was a hot frame (issue 13); the value-keyed map keeps one policy (and its
    // parsed retryOn) per distinct setting across snapshots
    return retryByIdentity.get(retry, this::retryPolicyByValue);
  }

  private RetryPolicy retryPolicyByValue(HttpRetry retry) {
    return retryPolicies.computeIfAbsent(retry, RetryPolicy::of);
  }

  private final io.inmesh.agent.upstream.IdentityCache<HttpRetry, RetryPolicy> retryByIdentity =
      new io.inmesh.agent.upstream.IdentityCache<>(4096);

  InetSocketAddress responderAddress() {
    return responder.address();
  }

  String responderToken(LocalAnswer answer) {
    return responder.token(answer);
  }

  void noteBodyNotReplayable() {
    Log.once(
        Log.Level.INFO,
        "body-not-replayable",
        "a request body larger than 64 KiB, or of unknown length, is retried only when nothing was sent (connect"
            + " failures); such calls get no retry on responses");
  }

  /** The route's local answer, with the request-dependent parts (a redirect's Location) filled in. */
  LocalAnswer localAnswerFor(RouteDecision.Local local, Request request) {
    LocalAnswer a = local.answer();
    var policy = local.policy();
    if ("RD".equals(a.reason()) && policy != null && policy.redirect() != null) {
      String prefix = policy.redirect().prefixRewrite() == null ? null : local.host().matchedPrefix(local.rule(), request.request);
      return new LocalAnswer(a.status(), "", "RD", Redirects.location(policy.redirect(), request.request, prefix));
    }
    return a;
  }

  String rewritePath(RouteDecision.Routed routed, Request request) {
    var rw = routed.policy().rewrite();
    if (rw == null || (rw.uri() == null && rw.regexMatch() == null)) {
      return null;
    }
    String full = request.request.path();
    int q = full.indexOf('?');
    String path = q < 0 ? full : full.substring(0, q);
    String query = q < 0 ? "" : full.substring(q);
    String rewritten;
    if (rw.regexMatch() != null) {
      rewritten = rw.rewriteWithRegex(path);
    } else {
      String prefix = routed.host().matchedPrefix(routed.rule(), request.request);
      rewritten = prefix != null && path.startsWith(prefix) ? rw.uri() + path.substring(prefix.length()) : rw.uri();
      if (rewritten.isEmpty()) {
        rewritten = "/";
      } else if (rewritten.startsWith("//")) {
        rewritten = rewritten.substring(1);
      }
    }
    return rewritten + query;
  }

  /** The application's request as the stages read it; also the hash input of consistent hashing. */
  static final class Request implements HashInput {
    final OutboundRequest request;
    private final Supplier<String> sourceIp;

    Request(OutboundRequest request, Supplier<String> sourceIp) {
      this.request = request;
      this.sourceIp = sourceIp;
    }

    @Override
    public String header(String name) {
      return request.header(name);
    }

    private String generatedName;
    private String generatedValue;

    /** The mesh generated cookie {@code name} for this call (consistent hashing with a cookie TTL). */
    void generatedCookie(String name, String value) {
      generatedName = name;
      generatedValue = value;
    }

    /** The cookie's value, without the quotes Envoy puts around the values it generates (as Envoy reads it). */
    @Override
    public String cookie(String name) {
      if (generatedName != null && generatedName.equals(name)) {
        return generatedValue;
      }
      String h = request.header("cookie");
      if (h == null) {
        return null;
      }
      for (String part : h.split(";")) {
        int eq = part.indexOf('=');
        if (eq > 0 && part.substring(0, eq).trim().equals(name)) {
          String v = part.substring(eq + 1).trim();
          if (v.length() >= 2 && v.charAt(0) == '"' && v.charAt(v.length() - 1) == '"') {
            v = v.substring(1, v.length() - 1);
          }
          return v;
        }
      }
      return null;
    }

    @Override
    public String queryParameter(String name) {
      String p = request.path();
      int q = p.indexOf('?');
      if (q < 0) {
        return null;
      }
      for (String kv : p.substring(q + 1).split("&")) {
        int eq = kv.indexOf('=');
        String k = eq < 0 ? kv : kv.substring(0, eq);
        if (k.equals(name)) {
          return eq < 0 ? "" : kv.substring(eq + 1);
        }
      }
      return null;
    }

    @Override
    public String sourceIp() {
      return sourceIp.get();
    }
  }

  /** Istio HTTPRedirect's Location. */
  static final class Redirects {
    private Redirects() {}

    static String location(HttpRedirect r, OutboundRequest req) {
      return location(r, req, null);
    }

    /**
     * @param matchedPrefix the rule's matched {@code uri.prefix}, for {@code prefixRewrite}
     *     (istio.io VirtualService reference, HTTPRedirect: "On a redirect, replace the matched
     *     prefix with this value. The route match must use a prefix match type. The matched prefix
     *     is stripped from the path and this value is prepended", so {@code /} for a {@code /foo}
     *     match turns {@code /foo/baz} into {@code //baz}, as Envoy's {@code prefix_rewrite} does);
     *     without a prefix match the path is kept
     */
    static String location(HttpRedirect r, OutboundRequest req, String matchedPrefix) {
      String scheme = r.scheme() != null ? r.scheme() : req.scheme();
      String authority = r.authority() != null ? r.authority() : req.host();
      Integer port = r.port();
      if (port == null && "FROM_REQUEST_PORT".equals(r.derivePort()) && req.port() > 0) {
        port = req.port();
      } else if (port == null && r.authority() == null && req.port() > 0 && !"FROM_PROTOCOL_DEFAULT".equals(r.derivePort())) {
        port = req.port();
      }
      String full = req.path();
      int q = full.indexOf('?');
      String path = q < 0 ? full : full.substring(0, q);
      String query = q < 0 ? "" : full.substring(q);
      if (r.uri() != null) {
        path = r.uri();
      } else if (r.prefixRewrite() != null && matchedPrefix != null && path.startsWith(matchedPrefix)) {
        path = r.prefixRewrite() + path.substring(matchedPrefix.length());
      }
      StringBuilder b = new StringBuilder(scheme).append("://").append(authority);
      if (port != null && !((port == 80 && "http".equals(scheme)) || (port == 443 && "https".equals(scheme)))) {
        b.append(':').append(port);
      }
      return b.append(path).append(query).toString();
    }
  }
}
