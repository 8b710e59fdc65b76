package io.inmesh.agent.lean;

import java.lang.reflect.Field;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.bytebuddy.matcher.ElementMatcher;
import net.bytebuddy.matcher.NameMatcher;
import net.bytebuddy.matcher.StringMatcher;
import net.bytebuddy.matcher.StringSetMatcher;

/**
 * The class names a type matcher can match at most, read from the matcher's structure: {@code
 * named}, {@code namedOneOf}, and {@code or}/{@code and} of them. Null when the matcher is anything
 * else ({@code hasSuperType}, {@code nameStartsWith}, a matcher of its own), or when Byte Buddy's
 * matcher classes are not laid out as expected: then the caller describes every class for it, as
 * before (correct, only slower).
 *
 * <p>Why (issue 13): with a transformer registered the JVM hands every class it loads to it — some
 * ten thousand in a Spring Boot start — and describing each one for Byte Buddy's matchers (a class
 * file locator, a type pool, a description) before finding that no module wants it was a measurable
 * share of the mesh profile's start-up. A name lookup first makes an unwanted class cost one set
 * probe.
 */
final class TypeNames {
  private TypeNames() {}

  static Set<String> of(ElementMatcher<?> matcher) {
    try {
      return names(matcher);
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      return null;
    }
  }

  private static Set<String> names(Object m) throws ReflectiveOperationException {
    if (m instanceof NameMatcher) {
      Object s = field(m, NameMatcher.class, "matcher");
      if (s instanceof StringMatcher && field(s, StringMatcher.class, "mode") == StringMatcher.Mode.EQUALS_FULLY) {
        return Collections.singleton((String) field(s, StringMatcher.class, "value"));
      }
      if (s instanceof StringSetMatcher) {
        @SuppressWarnings("unchecked")
        Set<String> values = (Set<String>) field(s, StringSetMatcher.class, "values");
        return new HashSet<>(values);
      }
      return null;
    }
    if (m instanceof ElementMatcher.Junction.Disjunction) {
      Set<String> all = new HashSet<>();
      for (Object child : children(m, ElementMatcher.Junction.Disjunction.class)) {
        Set<String> n = names(child);
        if (n == null) {
          return null; // one open branch opens the whole disjunction
        }
        all.addAll(n);
      }
      return all;
    }
    if (m instanceof ElementMatcher.Junction.Conjunction) {
      Set<String> bound = null;
      for (Object child : children(m, ElementMatcher.Junction.Conjunction.class)) {
        Set<String> n = names(child);
        if (n != null && (bound == null || n.size() < bound.size())) {
          bound = n; // every branch must match: any named branch bounds the conjunction
        }
      }
      return bound;
    }
    return null;
  }

  private static List<?> children(Object junction, Class<?> type) throws ReflectiveOperationException {
    return (List<?>) field(junction, type, "matchers");
  }

  private static Object field(Object o, Class<?> declaring, String name) throws ReflectiveOperationException {
    Field f = declaring.getDeclaredField(name);
    f.setAccessible(true);
    return f.get(o);
  }
}
