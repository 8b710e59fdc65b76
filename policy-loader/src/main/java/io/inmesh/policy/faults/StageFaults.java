package io.inmesh.policy.faults;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * A switch for tests only (issue 15, item 4): makes chosen mesh stages throw on every call, so a
 * test can show that inmesh's own bugs never become the application's failures. It is the system
 * property {@value #PROPERTY} (a comma-separated list of {@link Stage} names, or {@code all}), read
 * once when this class loads and announced in the start line. There is deliberately no
 * environment-variable twin: nobody turns it on by accident in a deployment. It can only make
 * stages throw; it changes nothing else.
 *
 * <p>Each stage's documented fallback (README, "When inmesh itself fails"):
 *
 * <ul>
 *   <li>{@code resolve} (the route decision): the call passes through untouched, as without the
 *       agent; but a workload that must hold an identity (mTLS) denies instead (503).
 *   <li>{@code balance} (the load balancer): a uniformly random endpoint of the routed subset.
 *   <li>{@code retry} (retry decisions and backoff): each attempt's outcome is delivered as it is.
 *   <li>{@code inbound} (the inbound stage): the request reaches the application untouched.
 *   <li>{@code registry} (the control-plane client): calls fail and back off like a down control
 *       plane; the last-known-good snapshot (or the cache) keeps serving.
 * </ul>
 */
public final class StageFaults {
  public static final String PROPERTY = "inmesh.test.failStages";

  public enum Stage {
    RESOLVE,
    BALANCE,
    RETRY,
    INBOUND,
    REGISTRY
  }

  private static final Set<Stage> FAILING = parse(System.getProperty(PROPERTY));

  private StageFaults() {}

  /** Throws {@link InjectedFault} when the switch names {@code stage}. */
  public static void check(Stage stage) {
    if (!FAILING.isEmpty() && FAILING.contains(stage)) {
      throw new InjectedFault(stage);
    }
  }

  public static Set<Stage> failing() {
    return FAILING;
  }

  /** Parses the property's value; unknown names are ignored (the start line names them). */
  public static Set<Stage> parse(String value) {
    if (value == null || value.isBlank()) {
      return Collections.emptySet();
    }
    EnumSet<Stage> s = EnumSet.noneOf(Stage.class);
    for (String part : value.split(",")) {
      String p = part.trim().toUpperCase(Locale.ROOT);
      if (p.equals("ALL")) {
        return Collections.unmodifiableSet(EnumSet.allOf(Stage.class));
      }
      for (Stage st : Stage.values()) {
        if (st.name().equals(p)) {
          s.add(st);
        }
      }
    }
    return Collections.unmodifiableSet(s);
  }

  /** The fault the switch injects. */
  public static final class InjectedFault extends IllegalStateException {
    InjectedFault(Stage stage) {
      super("injected fault in stage " + stage.name().toLowerCase(Locale.ROOT) + " (-D" + PROPERTY + ")", null);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this; // thrown on every call: no stack walk
    }
  }
}
