package io.inmesh.policy.compile;

import java.util.Set;

/**
 * Generic top-level domains that nobody uses as a Kubernetes namespace, so that
 * {@code something.com} is an internet host, not {@code service.namespace}. Only consulted before
 * the first snapshot arrives, to keep such calls from waiting for it. The list is short on purpose:
 * a namespace such as {@code dev} or {@code test} must still wait (a wrong "pass through" fails the
 * call, a wrong "wait" only delays it once).
 */
final class PublicSuffixes {
  private static final Set<String> COMMON =
      Set.of("com", "org", "net", "edu", "gov", "mil", "int", "info", "biz", "io", "co");

  private PublicSuffixes() {}

  static boolean isCommonTld(String label) {
    return COMMON.contains(label);
  }
}
