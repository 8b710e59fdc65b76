package io.inmesh.policy.bind;

import com.google.re2j.PatternSyntaxException;
import io.inmesh.policy.model.StringMatch;
import java.util.Set;

/** Istio StringMatch: exactly one of exact, prefix, regex. */
final class StringMatchBinder {
  private static final Set<String> FIELDS = Set.of("exact", "prefix", "regex");

  private StringMatchBinder() {}

  static StringMatch bind(Cursor c) {
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
        case "prefix" -> m = StringMatch.prefix(s);
        default -> {
          try {
            m = StringMatch.regex(s);
          } catch (PatternSyntaxException e) {
            v.error(
                "invalid regex " + Cursor.describe(s) + ": " + e.getDescription(),
                "inmesh uses RE2 syntax, as Istio does (no backreferences or lookaround)");
          }
        }
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
}
