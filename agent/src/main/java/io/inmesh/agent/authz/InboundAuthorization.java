package io.inmesh.agent.authz;

import io.inmesh.bootstrap.InboundRequest;
import io.inmesh.bootstrap.LocalAnswer;
import io.inmesh.policy.authz.AuthorizationDecision;
import io.inmesh.policy.authz.AuthorizationEvaluator;
import io.inmesh.policy.authz.AuthorizationRequest;
import io.inmesh.policy.log.Log;
import io.inmesh.policy.tree.JsonTrees;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * AuthorizationPolicy enforced in the inbound stage, before the application's handler: the
 * workload's compiled {@link AuthorizationEvaluator} (CUSTOM, then DENY, then ALLOW; AUDIT marks)
 * on the request as the server adapter presents it. The peer's principal comes only from the
 * verified certificate of the connection (its SPIFFE URI SAN, read once per request by the engine),
 * never from a header. A denial is
 * Istio's 403 {@code RBAC: access denied}. Security fails closed: an error here denies.
 */
public final class InboundAuthorization {
  private final String destination;
  private final AuditTrail audit;
  private final LongAdder checked = new LongAdder();
  private final LongAdder denied = new LongAdder();
  private final LongAdder audited = new LongAdder();
  private final LongAdder errors = new LongAdder();

  /** @param destination this workload, {@code namespace/service}, for the audit trail */
  public InboundAuthorization(String destination, AuditTrail audit) {
    this.destination = destination;
    this.audit = audit;
  }

  /**
   * Null lets the request through; otherwise the answer that replaces the application's.
   *
   * @param peer the SPIFFE ID of the connection's verified peer certificate, or null (plain text)
   */
  public LocalAnswer check(AuthorizationEvaluator evaluator, InboundRequest request, String peer) {
    if (evaluator == null || !evaluator.active()) {
      return null;
    }
    try {
      checked.increment();
      View view = new View(request, peer);
      AuthorizationDecision d = evaluator.evaluate(view);
      if (!d.allowed() || d.audit()) {
        if (d.audit()) {
          audited.increment();
        }
        audit.record(line(view, d));
      }
      if (d.allowed()) {
        return null;
      }
      denied.increment();
      return AuthorizationDecision.FORBIDDEN;
    } catch (RuntimeException e) {
      return failed(e);
    }
  }

  /** An error on the way to a verdict: denied (403) and logged once. */
  public LocalAnswer failed(RuntimeException e) {
    errors.increment();
    denied.increment();
    Log.once(Log.Level.ERROR, "internal-authorization", "internal error in authorization (the request is denied, 403): " + e);
    return AuthorizationDecision.FORBIDDEN;
  }

  private String line(View v, AuthorizationDecision d) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("time", Instant.now().toString());
    m.put("decision", d.allowed() ? "allow" : "deny");
    m.put("audit", d.audit());
    m.put("sourcePrincipal", v.sourcePrincipal());
    m.put("sourceIp", v.sourceIp());
    m.put("destination", destination);
    m.put("method", v.method());
    m.put("path", v.path());
    m.put("policy", d.policy());
    m.put("rule", d.rule() < 0 ? null : d.rule());
    m.put("auditPolicy", d.auditPolicy() == null || d.auditPolicy().isEmpty() ? null : d.auditPolicy());
    m.put("reason", d.reason());
    return new String(JsonTrees.write(m), StandardCharsets.UTF_8);
  }

  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("checked", checked.sum());
    m.put("denied", denied.sum());
    m.put("audited", audited.sum());
    m.put("errors", errors.sum());
    m.putAll(audit.describe());
    return m;
  }

  /** What authorization sees of the request. */
  private static final class View implements AuthorizationRequest {
    private final InboundRequest r;
    private final String principal;

    View(InboundRequest r, String peer) {
      this.r = r;
      this.principal = peer == null || !peer.startsWith("spiffe://") ? peer : peer.substring("spiffe://".length());
    }

    @Override
    public String method() {
      return r.method();
    }

    @Override
    public String host() {
      return r.header("host");
    }

    @Override
    public int port() {
      InetSocketAddress l = r.localAddress();
      return l == null ? 0 : l.getPort();
    }

    @Override
    public String path() {
      return r.path();
    }

    @Override
    public String header(String name) {
      return r.header(name);
    }

    @Override
    public String sourcePrincipal() {
      return principal;
    }

    @Override
    public String sourceIp() {
      InetSocketAddress a = r.remoteAddress();
      return a == null || a.getAddress() == null ? null : a.getAddress().getHostAddress();
    }

    @Override
    public String destinationIp() {
      InetSocketAddress l = r.localAddress();
      return l == null || l.getAddress() == null ? null : l.getAddress().getHostAddress();
    }
  }
}
