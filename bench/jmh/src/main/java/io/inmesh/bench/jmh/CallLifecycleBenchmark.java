package io.inmesh.bench.jmh;

import io.inmesh.agent.lifecycle.Lifecycle;
import io.inmesh.agent.local.LocalResponder;
import io.inmesh.bootstrap.Attempt;
import io.inmesh.bootstrap.OutboundCall;
import io.inmesh.policy.compile.RouteDecision;
import io.inmesh.policy.compile.RouteTable;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A whole call through the lifecycle — route decision, call, one attempt (endpoint pick, pool
 * admission, per-try deadline), its outcome (a 200 the retry policy does not retry), the end of
 * the attempt — on a route with a 2 s timeout, 3 retries with a 500 ms per-try timeout, a
 * connection pool and outlier detection configured but never triggered. Issue 7's target: p50 ≤
 * 2 µs. 10,000 hosts loaded; calls cycle over 1,024 of them.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = {"-Xms1g", "-Xmx1g"})
public class CallLifecycleBenchmark {
  private static final Function<String, String> NO_HEADERS = name -> null;

  RouteTable table;
  Lifecycle lifecycle;
  LocalResponder responder;
  Fixtures.Request[] requests;
  int next;

  @Setup(Level.Trial)
  public void setUp() {
    table = RouteTable.compile(Fixtures.snapshot(10_000), Fixtures.CLIENT);
    responder = new LocalResponder();
    lifecycle = new Lifecycle(responder, () -> "127.0.0.1");
    requests = new Fixtures.Request[1024];
    for (int i = 0; i < requests.length; i++) {
      requests[i] = new Fixtures.Request("GET", Fixtures.service((int) ((i * 7919L) % 10_000)), -1, "/api/items/42?x=1", null);
    }
    RouteDecision d = table.decide(requests[0]);
    if (!(d instanceof RouteDecision.Routed) || d.policy().timeout() == null || d.policy().retries().attempts() != 3) {
      throw new IllegalStateException("fixture does not route with a timeout and retries");
    }
  }

  @TearDown
  public void tearDown() {
    responder.close();
  }

  @Benchmark
  public int wholeCallRetryAndTimeoutConfiguredNotTriggered() {
    Fixtures.Request r = requests[next++ & 1023];
    OutboundCall call = lifecycle.call(table.decide(r), r);
    Attempt a = call.startAttempt();
    int verdict = a.onResponse(200, NO_HEADERS);
    a.onEnd();
    return verdict + (int) a.deadlineNanos();
  }
}
