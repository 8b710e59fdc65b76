package io.inmesh.policy.bind;

import com.google.re2j.PatternSyntaxException;
import io.inmesh.policy.model.StringMatch;
import java.util.Set;

/** Istio StringMatch: exactly one of exact, prefix, regex. */
final class StringMatchBinder {
  private static final Set<String> FIELDS = Set.of("exact", "prefix", "regex");
  /** Istio refuses longer regexes (Envoy's RE2 program size limit, approximated by length). */
  static final int MAX_REGEX_LENGTH = 1024;

  private StringMatchBinder() {}

  /** For uri, scheme, method and authority, where Istio refuses an empty prefix. */
  static StringMatch bind(Cursor c) {
    return bind(c, false);
  }

  /**
   * @param emptyPrefixAllowed headers and query parameters accept {@code prefix: ""} (it checks
   *     presence); uri, scheme, method and authority do not
   */
  static StringMatch bind(Cursor c, boolean emptyPrefixAllowed) {
    if (!c.expectMap()) {
      return null;
    }
    c.checkFields(FIELDS, null);
    int given = 0;
    StringMatch m = null;
    for (String f : new String[] {"exact", "prefix", "regex"}) {
      Cursor v = c.get(f);
      if (!v.present()) {
        continue;
      }
      given++;
      String s = v.string();
      if (s == null) {
        continue;
      }
      switch (f) {
        case "exact" -> m = StringMatch.exact(s);
        case "prefix" -> {
          if (s.isEmpty() && !emptyPrefixAllowed) {
            v.error("prefix must not be empty", "to match everything, leave this condition out");
          } else {
            m = StringMatch.prefix(s);
          }
        }
        default -> m = regex(v, s);
      }
    }
    if (given == 0) {
      c.error("needs one of exact, prefix or regex", null);
      return null;
    }
    if (given > 1) {
      c.error("give only one of exact, prefix or regex", null);
      return null;
    }
    return m;
  }

  static StringMatch regex(Cursor v, String s) {
    if (s.isEmpty()) {
      v.error("regex must not be empty", null);
      return null;
    }
    if (s.length() > MAX_REGEX_LENGTH) {
      v.error("regex is " + s.length() + " characters long; Istio allows at most " + MAX_REGEX_LENGTH, null);
      return null;
    }
    try {
      return StringMatch.regex(s);
    } catch (PatternSyntaxException e) {
      v.error(
          "invalid regex " + Cursor.describe(s) + ": " + e.getDescription(),
          "inmesh uses RE2 syntax, as Istio does (no backreferences or lookaround)");
      return null;
    } catch (RuntimeException e) {
      v.error("invalid regex " + Cursor.describe(s) + ": " + e.getMessage(), null);
      return null;
    }
  }
}
