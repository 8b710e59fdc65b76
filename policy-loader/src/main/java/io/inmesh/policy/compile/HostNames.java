package io.inmesh.policy.compile;

import java.util.Locale;

/**
 * How a host written by an application or a rule maps to a mesh service, the way Kubernetes DNS
 * and Istio read it: {@code name} (in the caller's or rule's namespace), {@code name.ns},
 * {@code name.ns.svc}, {@code name.ns.svc.cluster.local}.
 */
public final class HostNames {
  private static final String SVC_SUFFIX = ".svc." + ServiceKey.CLUSTER_DOMAIN;

  private HostNames() {}

  /** Lower case, no trailing dot, no port. */
  public static String normalize(String host) {
    if (host == null) {
      return null;
    }
    String h = host;
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    return h.toLowerCase(Locale.ROOT);
  }

  /**
   * The service a host names, resolving short names against {@code namespace}; null for hosts
   * that cannot be a Kubernetes service name (three or more labels not ending in .svc...).
   */
  public static ServiceKey serviceOf(String host, String namespace) {
    String h = normalize(host);
    if (h == null || h.isEmpty() || h.startsWith("*")) {
      return null;
    }
    if (h.endsWith(SVC_SUFFIX)) {
      h = h.substring(0, h.length() - SVC_SUFFIX.length());
    } else if (h.endsWith(".svc")) {
      h = h.substring(0, h.length() - 4);
    } else if (h.chars().filter(c -> c == '.').count() > 1) {
      return null;
    }
    int dot = h.indexOf('.');
    if (dot < 0) {
      return new ServiceKey(h, namespace);
    }
    String name = h.substring(0, dot);
    String ns = h.substring(dot + 1);
    if (name.isEmpty() || ns.isEmpty() || ns.indexOf('.') >= 0) {
      return null;
    }
    return new ServiceKey(name, ns);
  }

  /**
   * The service a host in a policy names, like {@link #serviceOf}, except that {@code name.tld}
   * with a common top-level domain ({@code wikipedia.org}, {@code example.com}) is an internet host,
   * not service {@code wikipedia} of namespace {@code org}: Istio needs a ServiceEntry for it.
   */
  public static ServiceKey meshServiceOf(String host, String namespace) {
    ServiceKey k = serviceOf(host, namespace);
    if (k == null) {
      return null;
    }
    String h = normalize(host);
    if (h.indexOf('.') > 0 && h.indexOf('.') == h.lastIndexOf('.') && PublicSuffixes.isCommonTld(k.namespace())) {
      return null;
    }
    return k;
  }

  /**
   * Whether a host could be a mesh service before any snapshot says which services exist:
   * single-label names (not localhost), {@code name.namespace} (not a public top-level domain),
   * and {@code *.svc} / {@code *.svc.cluster.local}. Used to decide which calls wait for the first
   * snapshot at startup; everything else passes through at once.
   */
  public static boolean couldBeMeshHost(String host) {
    String h = normalize(host);
    if (h == null || h.isEmpty() || h.equals("localhost") || isIpLiteral(h)) {
      return false;
    }
    if (h.endsWith(SVC_SUFFIX) || h.endsWith(".svc")) {
      return true;
    }
    int dots = (int) h.chars().filter(c -> c == '.').count();
    if (dots == 0) {
      return true;
    }
    if (dots == 1) {
      String last = h.substring(h.indexOf('.') + 1);
      return !PublicSuffixes.isCommonTld(last);
    }
    return false;
  }

  static boolean isIpLiteral(String h) {
    if (h.indexOf(':') >= 0 || h.startsWith("[")) {
      return true; // IPv6
    }
    for (int i = 0; i < h.length(); i++) {
      char c = h.charAt(i);
      if (!(c == '.' || (c >= '0' && c <= '9'))) {
        return false;
      }
    }
    return true;
  }
}
