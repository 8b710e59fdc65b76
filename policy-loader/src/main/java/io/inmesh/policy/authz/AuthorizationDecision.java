package io.inmesh.policy.authz;

import io.inmesh.bootstrap.LocalAnswer;

/**
 * The verdict for one inbound request.
 *
 * @param policy {@code namespace/name} of the policy that decided, or null (no policy, or the
 *     implicit deny when no ALLOW policy matched)
 * @param rule the index of the rule of {@code policy} that matched, or -1
 * @param reason for the access log, e.g. {@code denied by DENY policy foo/bar}
 * @param auditPolicy {@code namespace/name[rule]} of the AUDIT policy that matched, else null
 */
public record AuthorizationDecision(boolean allowed, String policy, int rule, String reason, String auditPolicy) {

  /** A verdict without the rule index or audit policy (tests, the implicit verdicts). */
  public AuthorizationDecision(boolean allowed, String policy, String reason, boolean audit) {
    this(allowed, policy, -1, reason, audit ? "" : null);
  }

  /** Whether an AUDIT policy matched (it never changes the verdict). */
  public boolean audit() {
    return auditPolicy != null;
  }

  /** What Istio answers a denied HTTP request: 403 {@code RBAC: access denied}. */
  public static final LocalAnswer FORBIDDEN = LocalAnswer.of(403, "RBAC");
}
