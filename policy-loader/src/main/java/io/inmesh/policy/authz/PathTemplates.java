package io.inmesh.policy.authz;

import com.google.re2j.Pattern;

/**
 * AuthorizationPolicy path templates (Istio 1.22+): {@code {*}} matches one path segment,
 * {@code {**}} zero or more characters across segments and must be the last operator; outside an
 * operator a template may not contain {@code *}, <code>{</code> or <code>}</code>, and a segment
 * with an operator holds nothing else
 * (https://istio.io/latest/docs/reference/config/security/authorization-policy/#Operation).
 */
public final class PathTemplates {
  private PathTemplates() {}

  public static boolean isTemplate(String path) {
    return path.contains("{*}") || path.contains("{**}");
  }

  /** Why {@code path} is not a valid template, or null (also for paths that are no template). */
  public static String problem(String path) {
    if (!isTemplate(path)) {
      return null;
    }
    String[] segments = path.split("/", -1);
    boolean sawDoubleStar = false;
    for (String seg : segments) {
      boolean op = seg.equals("{*}") || seg.equals("{**}");
      if (op) {
        if (sawDoubleStar) {
          return "{**} must be the last operator";
        }
        sawDoubleStar = seg.equals("{**}");
        continue;
      }
      if (seg.contains("{*}") || seg.contains("{**}")) {
        return "a segment with {*} or {**} may hold nothing else";
      }
      if (seg.indexOf('*') >= 0 || seg.indexOf('{') >= 0 || seg.indexOf('}') >= 0) {
        return "'*', '{' and '}' are allowed only as {*} or {**}";
      }
    }
    return null;
  }

  /** The template as an RE2 pattern over the whole path (query excluded). */
  public static Pattern compile(String template) {
    StringBuilder re = new StringBuilder();
    String[] segments = template.split("/", -1);
    for (int i = 0; i < segments.length; i++) {
      if (i > 0) {
        re.append('/');
      }
      String seg = segments[i];
      if (seg.equals("{*}")) {
        re.append("[^/]+");
      } else if (seg.equals("{**}")) {
        re.append(".*");
      } else {
        re.append(Pattern.quote(seg));
      }
    }
    return Pattern.compile(re.toString());
  }
}
