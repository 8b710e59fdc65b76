package io.inmesh.smoke.apps;

import io.github.resilience4j.core.functions.CheckedConsumer;
import io.github.resilience4j.core.functions.CheckedFunction;
import io.github.resilience4j.core.functions.CheckedRunnable;
import io.github.resilience4j.core.functions.CheckedSupplier;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Not a service: a probe for the Resilience4j instrumentation. It runs a Resilience4j {@code Retry}
 * through each synchronous entry point (success, retried then success, final failure, exhausted on
 * result, an Error, nesting) and prints, per scenario, whether the mesh saw an application retry on
 * the thread during each attempt and after the execution ended. It reads {@code
 * io.inmesh.bootstrap.ApplicationRetries} reflectively from the bootstrap loader, where the agent
 * puts it; without the agent it prints {@code NO-AGENT}.
 *
 * <p>Output: {@code SCOPE <scenario> attempts=<true,false,..> after=<bool> outcome=<text>} lines,
 * then {@code SCOPE-DONE leaked=<bool>}.
 */
public final class RetryScopeProbeApp {
  private static Method active;

  private RetryScopeProbeApp() {}

  public static void main(String[] args) throws Exception {
    try {
      active = Class.forName("io.inmesh.bootstrap.ApplicationRetries", true, null).getMethod("active");
    } catch (ClassNotFoundException e) {
      System.out.println("NO-AGENT");
      return;
    }
    RetryConfig config =
        RetryConfig.<Object>custom()
            .maxAttempts(3)
            .waitDuration(Duration.ofMillis(1))
            .retryExceptions(Exception.class)
            .retryOnResult(r -> "503".equals(r))
            .build();
    Retry retry = Retry.of("probe", config);

    report("before-any-retry", new ArrayList<>(), "none");

    List<Boolean> s0 = new ArrayList<>();
    Supplier<Object> decorated = Retry.decorateSupplier(retry, () -> observe(s0, "ok"));
    report("decorated-not-yet-called", s0, "none");
    report("decorateSupplier-success", s0, String.valueOf(decorated.get()));

    List<Boolean> seen = new ArrayList<>();
    List<Boolean> s1 = seen;
    report("executeSupplier-retried-then-success", seen, String.valueOf(retry.executeSupplier(() -> s1.size() < 2 ? fail(s1) : observe(s1, "ok"))));

    seen = new ArrayList<>();
    List<Boolean> s2 = seen;
    report("executeSupplier-final-failure", seen, outcome(() -> retry.executeSupplier(() -> fail(s2))));

    seen = new ArrayList<>();
    List<Boolean> s3 = seen;
    report("executeCallable-final-checked-failure", seen, outcome(() -> retry.executeCallable(() -> {
      observe(s3, null);
      throw new java.io.IOException("callee refused");
    })));

    seen = new ArrayList<>();
    List<Boolean> s4 = seen;
    report("executeCheckedSupplier-exhausted-on-5xx-result", seen, outcome(() -> retry.executeCheckedSupplier(() -> observe(s4, "503"))));

    seen = new ArrayList<>();
    List<Boolean> s5 = seen;
    report("executeRunnable-final-failure", seen, outcome(() -> {
      retry.executeRunnable(() -> fail(s5));
      return "returned";
    }));

    seen = new ArrayList<>();
    List<Boolean> s6 = seen;
    Function<String, Object> fn = Retry.decorateFunction(retry, (String in) -> observe(s6, in));
    report("decorateFunction-success", seen, String.valueOf(fn.apply("ok")));

    seen = new ArrayList<>();
    List<Boolean> s7 = seen;
    Consumer<String> consumer = Retry.decorateConsumer(retry, (String in) -> fail(s7));
    report("decorateConsumer-final-failure", seen, outcome(() -> {
      consumer.accept("x");
      return "returned";
    }));

    seen = new ArrayList<>();
    List<Boolean> s8 = seen;
    CheckedRunnable checkedRunnable = Retry.decorateCheckedRunnable(retry, () -> fail(s8));
    report("decorateCheckedRunnable-final-failure", seen, outcome(() -> {
      checkedRunnable.run();
      return "returned";
    }));

    seen = new ArrayList<>();
    List<Boolean> s9 = seen;
    CheckedFunction<String, Object> checkedFn = Retry.decorateCheckedFunction(retry, (String in) -> s9.size() < 1 ? fail(s9) : observe(s9, in));
    report("decorateCheckedFunction-retried-then-success", seen, outcome(() -> checkedFn.apply("ok")));

    seen = new ArrayList<>();
    List<Boolean> s10 = seen;
    CheckedConsumer<String> checkedConsumer = Retry.decorateCheckedConsumer(retry, (String in) -> observe(s10, in));
    report("decorateCheckedConsumer-success", seen, outcome(() -> {
      checkedConsumer.accept("ok");
      return "returned";
    }));

    seen = new ArrayList<>();
    List<Boolean> s11 = seen;
    CheckedSupplier<Object> checkedSupplier = Retry.decorateCheckedSupplier(retry, () -> observe(s11, "ok"));
    report("decorateCheckedSupplier-success", seen, outcome(checkedSupplier::get));

    seen = new ArrayList<>();
    List<Boolean> s12 = seen;
    Callable<Object> callable = Retry.decorateCallable(retry, () -> observe(s12, "ok"));
    report("decorateCallable-success", seen, outcome(callable::call));

    // an Error is not something Retry catches: it leaves the execution at once
    seen = new ArrayList<>();
    List<Boolean> s13 = seen;
    report("executeSupplier-error-escapes", seen, outcome(() -> retry.executeSupplier(() -> {
      observe(s13, null);
      throw new AssertionError("not an exception");
    })));

    // nesting: inside the inner retry, and still inside the outer one after it
    seen = new ArrayList<>();
    List<Boolean> s14 = seen;
    Retry inner = Retry.of("inner", config);
    report("nested", seen, String.valueOf(retry.executeSupplier(() -> {
      Object r = inner.executeSupplier(() -> observe(s14, "inner-ok"));
      observe(s14, r);
      return r;
    })));

    // asynchronous retries run attempts on other threads: no thread-bound scope is claimed
    seen = new ArrayList<>();
    List<Boolean> s15 = seen;
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    Object async =
        retry
            .executeCompletionStage(scheduler, () -> CompletableFuture.supplyAsync(() -> observe(s15, "async-ok"), scheduler))
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    scheduler.shutdownNow();
    report("executeCompletionStage-not-scoped", seen, String.valueOf(async));

    // many executions, half of them failing: the scope never stays open
    int failures = 0;
    for (int i = 0; i < 2000; i++) {
      int n = i;
      try {
        retry.executeSupplier(() -> {
          if (n % 2 == 0) {
            throw new IllegalStateException("down");
          }
          return "ok";
        });
      } catch (IllegalStateException e) {
        failures++;
      }
    }
    System.out.println("SCOPE-DONE failures=" + failures + " leaked=" + isActive());
  }

  private static Object observe(List<Boolean> seen, Object result) {
    seen.add(isActive());
    return result;
  }

  private static Object fail(List<Boolean> seen) {
    seen.add(isActive());
    throw new IllegalStateException("callee answered 503");
  }

  /** What a scenario runs; Resilience4j's checked shapes throw Throwable. */
  private interface Execution {
    Object run() throws Throwable;
  }

  private static String outcome(Execution run) {
    try {
      return "returned:" + run.run();
    } catch (Throwable t) {
      return "threw:" + t.getClass().getSimpleName();
    }
  }

  private static void report(String scenario, List<Boolean> attempts, String outcome) {
    StringBuilder sb = new StringBuilder();
    for (Boolean b : attempts) {
      sb.append(sb.length() == 0 ? "" : ",").append(b);
    }
    System.out.println("SCOPE " + scenario + " attempts=" + sb + " after=" + isActive() + " outcome=" + outcome);
  }

  private static boolean isActive() {
    try {
      return (Boolean) active.invoke(null);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }
}
