package io.inmesh.policy.bind;

/** Kubernetes name rules (RFC 1123), which Istio resources and hosts follow. */
public final class DnsNames {
  private DnsNames() {}

  public static boolean isDns1123Label(String s) {
    if (s == null || s.isEmpty() || s.length() > 63) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0 && i < s.length() - 1);
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  public static boolean isDns1123Subdomain(String s) {
    if (s == null || s.isEmpty() || s.length() > 253) {
      return false;
    }
    for (String label : s.split("\\.", -1)) {
      if (!isDns1123Label(label)) {
        return false;
      }
    }
    return true;
  }

  /** A host as a VirtualService or DestinationRule may name it: a DNS name, optionally "*." first. */
  public static boolean isHost(String s) {
    if (s == null || s.isEmpty()) {
      return false;
    }
    if (s.equals("*")) {
      return true;
    }
    String h = s.startsWith("*.") ? s.substring(2) : s;
    String lower = h.toLowerCase(java.util.Locale.ROOT);
    for (String label : lower.split("\\.", -1)) {
      if (!isDns1123Label(label)) {
        return false;
      }
    }
    return true;
  }
}
