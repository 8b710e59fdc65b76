package io.inmesh.policy.authz;

/**
 * The path authorization matches against, normalised as Istio does with its strictest option,
 * {@code DECODE_AND_MERGE_SLASHES} (Istio reference, "Authorization Policy Normalization"):
 * percent-encoded unreserved characters and {@code %2F}/{@code %5C} decoded once (never twice),
 * backslashes turned into slashes, repeated slashes merged, {@code .} and {@code ..} segments
 * resolved (RFC 3986 section 5.2.4). A path with {@code %00} is refused (null).
 *
 * <p>Why the strictest: a sidecar forwards the normalised path, so the application sees what was
 * authorised. In-process, the application reads the path as it was sent, and many servers decode
 * {@code %2F} or resolve {@code ..} themselves; only the strictest form keeps a rule from being
 * slipped past by {@code /usuarios/../admin} or {@code /admin%2Fx}.
 */
public final class PathNormalizer {
  private PathNormalizer() {}

  /** The normalised path (starting with {@code /}), or null when it must be refused. */
  public static String normalize(String raw) {
    if (raw == null || raw.isEmpty()) {
      return "/";
    }
    StringBuilder decoded = new StringBuilder(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%' && i + 2 < raw.length()) {
        int hi = hex(raw.charAt(i + 1));
        int lo = hex(raw.charAt(i + 2));
        int v = hi * 16 + lo;
        if (hi >= 0 && lo >= 0) {
          if (v == 0) {
            return null;
          }
          if (decodable(v)) {
            decoded.append((char) v);
            i += 2;
            continue;
          }
        }
      }
      decoded.append(c);
    }
    for (int i = 0; i < decoded.length(); i++) {
      if (decoded.charAt(i) == '\\') {
        decoded.setCharAt(i, '/'); // a literal or a decoded %5C
      }
    }
    // merge slashes
    StringBuilder merged = new StringBuilder(decoded.length() + 1);
    if (decoded.length() == 0 || decoded.charAt(0) != '/') {
      merged.append('/');
    }
    for (int i = 0; i < decoded.length(); i++) {
      char c = decoded.charAt(i);
      if (c == '/' && merged.length() > 0 && merged.charAt(merged.length() - 1) == '/') {
        continue;
      }
      merged.append(c);
    }
    return removeDotSegments(merged.toString());
  }

  private static boolean decodable(int v) {
    return v == 0x2d || v == 0x2e || (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5a) || v == 0x5f
        || (v >= 0x61 && v <= 0x7a) || v == 0x7e || v == 0x2f || v == 0x5c;
  }

  private static int hex(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }

  /** RFC 3986 section 5.2.4 on an absolute path whose slashes are already merged. */
  static String removeDotSegments(String path) {
    String[] segments = path.split("/", -1);
    java.util.ArrayDeque<String> out = new java.util.ArrayDeque<>();
    boolean trailingSlash = false;
    for (int i = 1; i < segments.length; i++) {
      String s = segments[i];
      boolean last = i == segments.length - 1;
      if (s.equals(".")) {
        trailingSlash = last;
      } else if (s.equals("..")) {
        out.pollLast();
        trailingSlash = last;
      } else {
        out.addLast(s);
        trailingSlash = false;
      }
    }
    StringBuilder sb = new StringBuilder();
    for (String s : out) {
      sb.append('/').append(s);
    }
    if (trailingSlash || sb.length() == 0) {
      sb.append('/');
    }
    return sb.toString();
  }
}
