package io.inmesh.smoke;

import static io.inmesh.smoke.Smoke.awaitReady;
import static io.inmesh.smoke.Smoke.awaitTrue;
import static io.inmesh.smoke.Smoke.inmeshEnv;
import static io.inmesh.smoke.Smoke.meshed;
import static io.inmesh.smoke.Smoke.plainApp;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Trace context in the mesh profile (issue 13 item 2, docs/lean-profile.md 5.2): no OpenTelemetry
 * agent runs, and inmesh itself carries the inbound request's W3C {@code traceparent} (or b3) and
 * {@code baggage} to the calls made while serving it — mesh calls and calls to hosts outside the
 * mesh, with the JDK HttpClient ({@code send} on the serving thread and {@code sendAsync}),
 * HttpURLConnection and OkHttp ({@code execute}): the same trace id, a fresh span id per call, the inbound flags
 * (https://www.w3.org/TR/trace-context/); without an inbound header a fresh sampled trace per
 * request, as the traced profile's default {@code parentbased_always_on} sends. Plain applications
 * (no tracing code) on 127.0.17.x, a real control plane.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class LeanTraceSmokeTest {
  static final String CP = "127.0.17.1:15010";
  static final String CONTROL_URL = "http://" + CP;
  static final String ECHO = "127.0.17.2";
  static final String OUTSIDE = "127.0.17.3";
  static final String W3C = "127.0.17.4";
  static final String B3 = "127.0.17.5";
  static final String B3MULTI = "127.0.17.6";
  static final String MESH_URL = "http://echo-service:8080/echo";
  static final String OUTSIDE_URL = "http://" + OUTSIDE + ":8080/echo";
  static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  static final String SPAN = "00f067aa0ba902b7";
  /** The calls each frontend makes per request, all but the two that carry the application's own header. */
  static final List<String> CALLS = List.of("jdkMesh", "jdkAsyncMesh", "jdkOutside", "jdkAsyncOutside", "hucMesh", "hucOutside", "okMesh", "okOutside");

  final Path tmp = Smoke.workDir("LeanTraceSmokeTest");
  Path logs;
  Proc controlPlane;
  final List<Proc> apps = new ArrayList<>();

  @BeforeAll
  void startMesh() throws Exception {
    Path policies = Files.createDirectories(tmp.resolve("policies"));
    logs = Smoke.LOGS.resolve("lean-trace");
    controlPlane = Smoke.controlPlane("control-plane", CP, policies, tmp.resolve("control-data"), logs);
    apps.add(meshed("echo", mesh("echo-service", ECHO, null), logs, plainApp("trace.TraceEchoApp", ECHO, "8080")));
    // outside the mesh: no agent, reached by address
    apps.add(Proc.start("outside", List.of(Smoke.JAVA, "-Xmx64m", "-XX:+UseSerialGC", "-cp", Smoke.APPS.toString(), "io.inmesh.smoke.apps.trace.TraceEchoApp", OUTSIDE, "8080"), Map.of(), logs));
    apps.add(meshed("frontend-w3c", mesh("frontend-w3c", W3C, null), logs, frontend(W3C)));
    apps.add(meshed("frontend-b3", mesh("frontend-b3", B3, "b3"), logs, frontend(B3)));
    apps.add(meshed("frontend-b3multi", mesh("frontend-b3multi", B3MULTI, "b3multi"), logs, frontend(B3MULTI)));
    for (String a : List.of(ECHO, W3C, B3, B3MULTI)) {
      awaitReady(apps.stream().filter(p -> p.name().equals(nameOf(a))).findFirst().orElseThrow(), a);
    }
    for (Proc p : apps) {
      // the agent is ready at its first snapshot, which may come before the application listens
      awaitTrue(p.name() + " listening", Duration.ofSeconds(120), () -> p.output().contains(" listening on "), p);
    }
    for (String a : List.of(W3C, B3, B3MULTI)) {
      awaitTrue(a + "'s snapshot to hold echo-service", Duration.ofSeconds(30), () -> Smoke.endpointsSeenBy(a).containsKey("echo-service"), controlPlane);
    }
    awaitTrue("the outside echo up", Duration.ofSeconds(30), () -> Smoke.status(OUTSIDE_URL) == 200, apps.get(1));
  }

  private static String nameOf(String address) {
    return switch (address) {
      case ECHO -> "echo";
      case W3C -> "frontend-w3c";
      case B3 -> "frontend-b3";
      default -> "frontend-b3multi";
    };
  }

  private Map<String, String> mesh(String service, String address, String propagators) {
    Map<String, String> env = inmeshEnv(service, "app=" + service, address, CONTROL_URL, tmp.resolve("cache-" + service));
    env.put("INMESH_PROFILE", "mesh");
    if (propagators != null) {
      env.put("OTEL_PROPAGATORS", propagators);
    }
    return env;
  }

  private static List<String> frontend(String address) {
    return OkHttpJars.with(4, plainApp("trace.TraceFrontendApp", address, "8080", MESH_URL, OUTSIDE_URL));
  }

  @AfterAll
  void stopMesh() {
    apps.forEach(Proc::stop);
    if (controlPlane != null) {
      controlPlane.stop();
    }
  }

  /** Sends one request to a frontend with these headers; what each backend echoed, by call. */
  private JsonNode serve(String frontend, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + frontend + ":8080/")).timeout(Duration.ofSeconds(30));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    HttpResponse<String> r = Smoke.send(b.build());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    try {
      return Smoke.JSON.readTree(r.body());
    } catch (java.io.IOException e) {
      throw new AssertionError(r.body(), e);
    }
  }

  /** The only value of a header a backend got (fails on a header written twice). */
  private static String only(JsonNode echo, String call, String header) {
    JsonNode values = echo.path(call).path(header);
    assertThat(values.size()).as(call + " " + header + " values: " + echo.path(call)).isEqualTo(1);
    return values.get(0).asText();
  }

  @Test
  void theMeshProfileRunsWithoutTheOpenTelemetryAgentAndPropagatesItself() {
    Proc w3c = apps.get(2);
    assertThat(w3c.output()).contains("profile=mesh").contains("trace context: inmesh propagates tracecontext,baggage itself (mesh profile)");
    assertThat(apps.get(3).output()).contains("inmesh propagates b3 itself");
    assertThat(apps.get(4).output()).contains("inmesh propagates b3multi itself");
  }

  @Test
  void w3cEveryCallCarriesTheInboundTraceIdAFreshSpanIdTheInboundFlagsAndTraceStateAndBaggage() {
    for (String flags : List.of("01", "00")) {
      JsonNode got = serve(W3C, "traceparent", "00-" + TRACE + "-" + SPAN + "-" + flags, "tracestate", "congo=t61rcWkgMzE", "baggage", "userId=alice");
      Set<String> spans = new HashSet<>();
      for (String call : CALLS) {
        String tp = only(got, call, "traceparent");
        assertThat(tp).as(call).matches("00-" + TRACE + "-[0-9a-f]{16}-" + flags);
        String span = tp.substring(36, 52);
        assertThat(span).as(call + " span id").isNotEqualTo(SPAN).isNotEqualTo("0000000000000000");
        spans.add(span);
        assertThat(only(got, call, "tracestate")).as(call).isEqualTo("congo=t61rcWkgMzE");
        assertThat(only(got, call, "baggage")).as(call).isEqualTo("userId=alice");
        assertThat(got.path(call).has("b3")).as(call).isFalse();
      }
      assertThat(spans).as("a fresh span id per call").hasSize(CALLS.size());
      // the application's own header is its own
      assertThat(only(got, "jdkMeshOwn", "traceparent")).isEqualTo("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
      assertThat(only(got, "jdkOutsideOwn", "traceparent")).isEqualTo("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    }
  }

  @Test
  void w3cWithoutAValidInboundHeaderEachRequestStartsItsOwnSampledTrace() {
    Set<String> traces = new HashSet<>();
    // none, then invalid ones (https://www.w3.org/TR/trace-context/: version ff, an all-zero trace id, a wrong length)
    String[][] requests = {
      {}, {}, {"traceparent", "ff-" + TRACE + "-" + SPAN + "-01"}, {"traceparent", "00-00000000000000000000000000000000-" + SPAN + "-01"},
      {"traceparent", "00-" + TRACE + "-" + SPAN + "-01-extra"}
    };
    for (String[] headers : requests) {
      JsonNode got = serve(W3C, headers);
      String trace = only(got, CALLS.get(0), "traceparent").substring(3, 35);
      assertThat(trace).isNotEqualTo(TRACE).isNotEqualTo("00000000000000000000000000000000");
      for (String call : CALLS) {
        assertThat(only(got, call, "traceparent")).as(call + " shares the request's trace").matches("00-" + trace + "-[0-9a-f]{16}-03");
        assertThat(got.path(call).has("tracestate")).isFalse();
      }
      traces.add(trace);
    }
    assertThat(traces).as("a fresh trace id per request").hasSize(requests.length);
  }

  @Test
  void b3SingleHeaderWhenOtelPropagatorsSaysB3() {
    JsonNode got = serve(B3, "b3", TRACE + "-" + SPAN + "-1", "traceparent", "00-11111111111111111111111111111111-" + SPAN + "-01");
    for (String call : CALLS) {
      assertThat(only(got, call, "b3")).as(call).matches(TRACE + "-[0-9a-f]{16}-1").doesNotContain(SPAN);
      assertThat(got.path(call).has("traceparent")).as(call).isFalse();
      assertThat(got.path(call).has("x-b3-traceid")).as(call).isFalse();
    }
    got = serve(B3, "b3", "a3ce929d0e0e4736-" + SPAN + "-0");
    assertThat(only(got, "jdkAsyncMesh", "b3")).matches("0000000000000000a3ce929d0e0e4736-[0-9a-f]{16}-0");
  }

  @Test
  void b3MultipleHeadersWhenOtelPropagatorsSaysB3multi() {
    JsonNode got = serve(B3MULTI, "X-B3-TraceId", TRACE, "X-B3-SpanId", SPAN, "X-B3-Sampled", "1");
    Set<String> spans = new HashSet<>();
    for (String call : CALLS) {
      assertThat(only(got, call, "x-b3-traceid")).as(call).isEqualTo(TRACE);
      spans.add(only(got, call, "x-b3-spanid"));
      assertThat(only(got, call, "x-b3-sampled")).as(call).isEqualTo("1");
      assertThat(got.path(call).has("traceparent")).as(call).isFalse();
      assertThat(got.path(call).has("b3")).as(call).isFalse();
    }
    assertThat(spans).hasSize(CALLS.size()).doesNotContain(SPAN);
  }
}
