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

  /** An IPv4 or IPv6 literal (no brackets), checked without any lookup. */
  public static boolean isIp(String s) {
    if (s == null || s.isEmpty() || s.length() > 45) {
      return false;
    }
    if (s.indexOf(':') >= 0) {
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
          return false;
        }
      }
      return true;
    }
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3) {
        return false;
      }
      for (int i = 0; i < p.length(); i++) {
        if (!Character.isDigit(p.charAt(i))) {
          return false;
        }
      }
      if (Integer.parseInt(p) > 255) {
        return false;
      }
    }
    return true;
  }

  /** An IP or a CIDR block ({@code 10.0.0.0/8}, {@code 2001:db8::/32}). */
  public static boolean isIpOrCidr(String s) {
    if (s == null) {
      return false;
    }
    int slash = s.indexOf('/');
    if (slash < 0) {
      return isIp(s);
    }
    String ip = s.substring(0, slash);
    String bits = s.substring(slash + 1);
    if (!isIp(ip) || bits.isEmpty() || bits.length() > 3) {
      return false;
    }
    for (int i = 0; i < bits.length(); i++) {
      if (!Character.isDigit(bits.charAt(i))) {
        return false;
      }
    }
    int b = Integer.parseInt(bits);
    return b <= (ip.indexOf(':') >= 0 ? 128 : 32);
  }
}
