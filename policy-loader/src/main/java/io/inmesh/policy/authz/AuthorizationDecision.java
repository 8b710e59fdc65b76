package io.inmesh.policy.authz;

import io.inmesh.bootstrap.LocalAnswer;

/**
 * The verdict for one inbound request.
 *
 * @param policy {@code namespace/name} of the policy that decided, or null (no policy, or the
 *     implicit deny when no ALLOW policy matched)
 * @param reason for the access log, e.g. {@code denied by DENY policy foo/bar}
 * @param audit whether an AUDIT policy matched (it never changes the verdict)
 */
public record AuthorizationDecision(boolean allowed, String policy, String reason, boolean audit) {

  /** What Istio answers a denied HTTP request: 403 {@code RBAC: access denied}. */
  public static final LocalAnswer FORBIDDEN = LocalAnswer.of(403, "RBAC");
}
