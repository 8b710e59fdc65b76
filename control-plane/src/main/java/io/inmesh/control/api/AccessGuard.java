package io.inmesh.control.api;

import io.inmesh.control.ca.Certificates;
import io.inmesh.control.ca.IdentityAuthority;
import io.inmesh.control.registry.AgentRecord;
import io.inmesh.control.registry.Registry;
import io.inmesh.control.token.AdminCredential;
import io.inmesh.control.token.JoinToken;
import io.inmesh.control.token.JoinTokens;
import io.inmesh.policy.identity.SpiffeId;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;

/**
 * Decides, before a handler runs, whether the caller may make the call:
 *
 * <ul>
 *   <li>policy writes need the admin credential ({@code Authorization: Bearer <data-dir>/admin-token}),
 *       except on a plain listener bound to loopback;
 *   <li>with identities on, an agent record belongs to the identity that registered it: only a
 *       caller proving that identity (client certificate, or join token before the first
 *       certificate) may heartbeat, ack, poll as (snapshot or view), re-register or deregister it, and a registration
 *       must be for the caller's own namespace and service account. Anonymous agents are accepted
 *       only on a plain loopback listener, and are never bound to an identity.
 * </ul>
 *
 * A credential that is presented and fails (expired or revoked token, foreign certificate) is
 * refused outright, never treated as anonymous.
 */
public final class AccessGuard {

  /** Allows everything: a control plane started in tests without a guard. */
  public static final AccessGuard OPEN = new AccessGuard(null, null, null);

  private static final Set<String> AGENT_CALLS = Set.of("/v1/register", "/v1/heartbeat", "/v1/deregister", "/v1/ack");
  private static final int MAX_BODY = 64 * 1024;

  private final IdentityAuthority identities;
  private final AdminCredential admin;
  private final Registry registry;

  public AccessGuard(IdentityAuthority identities, AdminCredential admin, Registry registry) {
    this.identities = identities;
    this.admin = admin;
    this.registry = registry;
  }

  void check(HttpCall call) throws IOException {
    if (this == OPEN) {
      return;
    }
    Caller caller = authenticate(call);
    call.caller(caller);
    String path = call.path();
    String method = call.method();
    if (path.equals("/v1/policy") && (method.equals("POST") || method.equals("DELETE"))) {
      if (!caller.admin() && !call.plainLoopbackListener()) {
        throw new ApiException(
            401,
            "writing policy needs the admin credential",
            "send Authorization: Bearer <contents of " + admin.file() + ">, or use a loopback --listen address");
      }
      return;
    }
    if (identities == null) {
      return;
    }
    String agent = null;
    if (method.equals("POST") && AGENT_CALLS.contains(path)) {
      agent = call.jsonBody(MAX_BODY).optionalString("agent");
    } else if (method.equals("GET") && (path.equals("/v1/snapshot") || path.equals("/v1/view"))) {
      agent = call.query("agent");
    } else {
      return;
    }
    if (caller.identity() == null && !call.plainLoopbackListener()) {
      throw new ApiException(
          401, "this listener needs a workload identity", "give the agent INMESH_TOKEN (from `inmesh token create`) or a client certificate");
    }
    if (agent != null) {
      AgentRecord existing = registry.get(agent);
      String bound = existing == null ? null : existing.registration().identity();
      if (bound != null && (caller.identity() == null || !bound.equals(caller.identity().uri()))) {
        throw new ApiException(
            403,
            "agent " + agent + " belongs to " + bound + "; this request proves " + (caller.identity() == null ? "no identity" : caller.identity().uri()),
            "an agent can act only for its own identity");
      }
    }
    if (path.equals("/v1/register") && caller.identity() != null) {
      JsonFields body = call.jsonBody(MAX_BODY);
      SpiffeId id = caller.identity();
      String ns = body.optionalString("namespace");
      String sa = body.optionalString("serviceAccount");
      if (ns != null && !ns.isEmpty() && !ns.equals(id.namespace())) {
        throw new ApiException(403, "namespace \"" + ns + "\" is not the namespace of " + id.uri(), "register in your own namespace");
      }
      if (sa != null && !sa.isEmpty() && !sa.equals(id.serviceAccount())) {
        throw new ApiException(403, "service account \"" + sa + "\" is not the one of " + id.uri(), "register with your own service account");
      }
    }
  }

  private Caller authenticate(HttpCall call) {
    String bearer = bearer(call);
    boolean isAdmin = bearer != null && admin != null && admin.matches(bearer);
    if (identities == null) {
      return new Caller(null, null, null, isAdmin);
    }
    List<X509Certificate> chain = call.peerCertificates();
    if (!chain.isEmpty()) {
      // the TLS handshake verified the chain against the mesh roots; the identity is the URI SAN
      String uri = Certificates.uriSan(chain.get(0));
      if (uri == null) {
        throw new ApiException(403, "the client certificate names no SPIFFE ID", "use the certificate the mesh CA issued");
      }
      try {
        SpiffeId id = SpiffeId.parse(uri);
        if (!id.trustDomain().equals(identities.trustDomain())) {
          throw new ApiException(403, uri + " is outside trust domain " + identities.trustDomain(), "use the certificate the mesh CA issued");
        }
        return new Caller(id, "certificate", null, isAdmin);
      } catch (IllegalArgumentException e) {
        throw new ApiException(403, e.getMessage(), "use the certificate the mesh CA issued");
      }
    }
    if (bearer != null && bearer.startsWith(JoinTokens.PREFIX)) {
      try {
        JoinToken t = identities.tokens().verify(bearer);
        return new Caller(new SpiffeId(identities.trustDomain(), t.namespace(), t.serviceAccount()), "token", t.id(), false);
      } catch (JoinTokens.Invalid e) {
        throw new ApiException(401, e.getMessage(), "create a token with `inmesh token create --data-dir DIR --namespace NS --service-account SA`");
      }
    }
    return new Caller(null, null, null, isAdmin);
  }

  private static String bearer(HttpCall call) {
    String h = call.requestHeader("Authorization");
    if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    return h.substring(7).trim();
  }
}
