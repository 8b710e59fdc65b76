package io.inmesh.agent.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.agent.engine.ActiveSnapshot;
import io.inmesh.agent.engine.MeshEngine;
import io.inmesh.bootstrap.Attempt;
import io.inmesh.bootstrap.ConnectionUse;
import io.inmesh.bootstrap.HeaderSink;
import io.inmesh.bootstrap.Mesh;
import io.inmesh.bootstrap.OutboundCall;
import io.inmesh.bootstrap.OutboundRequest;
import io.inmesh.launcher.Settings;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The call lifecycle's answers for redirect {@code prefixRewrite}, consistent hashing on a
 * generated cookie, and the connection lifetimes an attempt hands to its adapter; through the
 * engine, with real snapshots (and the real local responder for a redirect's Location).
 */
class LifecycleGapsTest {
  private final List<MeshEngine> engines = new ArrayList<>();

  @AfterEach
  void close() {
    engines.forEach(e -> e.responder().close());
  }

  MeshEngine engine(String resources, String services) {
    MeshEngine e =
        new MeshEngine(
            Settings.resolve(
                Map.of("INMESH_SERVICE", "caller", "INMESH_CONTROL_URL", "http://127.0.0.1:1", "INMESH_STARTUP_WAIT", "100ms"), new Properties()));
    engines.add(e);
    String snapshot = "{\"version\":\"v\",\"generation\":1,\"resources\":[" + resources + "],\"services\":[" + services + "]}";
    assertThat(e.apply(snapshot.getBytes(StandardCharsets.UTF_8), ActiveSnapshot.Source.CONTROL_PLANE).accepted()).isTrue();
    return e;
  }

  static String service(String name, int endpoints) {
    StringBuilder b = new StringBuilder("{\"name\":\"" + name + "\",\"namespace\":\"default\",\"endpoints\":[");
    for (int i = 0; i < endpoints; i++) {
      b.append(i > 0 ? "," : "").append("{\"address\":\"127.0.24.").append(100 + i).append("\",\"ports\":[8080],\"labels\":{},\"agent\":\"a").append(i).append("\"}");
    }
    return b.append("]}").toString();
  }

  static String dr(String host, String trafficPolicy) {
    return "{\"file\":\"d.yaml\",\"apiVersion\":\"networking.istio.io/v1\",\"kind\":\"DestinationRule\",\"metadata\":{\"name\":\"" + host
        + "\"},\"spec\":{\"host\":\"" + host + "\",\"trafficPolicy\":" + trafficPolicy + "}}";
  }

  record Req(String host, String path, Map<String, String> headers) implements OutboundRequest {
    public String method() {
      return "GET";
    }

    public String scheme() {
      return "http";
    }

    public int port() {
      return -1;
    }

    public String header(String name) {
      return headers.get(name.toLowerCase());
    }
  }

  static final class MapSink implements HeaderSink {
    final Map<String, List<String>> headers = new LinkedHashMap<>();

    public void set(String name, String value) {
      headers.put(name, new ArrayList<>(List.of(value)));
    }

    public void add(String name, String value) {
      headers.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
    }

    public void remove(String name) {
      headers.remove(name);
    }
  }

  // ---- redirect prefixRewrite ------------------------------------------------------------------

  /** https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRedirect (prefixRewrite). */
  @Test
  void redirectPrefixRewrite_istioVirtualServiceReference_replacesTheMatchedPrefixAndKeepsTheRest() throws Exception {
    String vs =
        "{\"file\":\"v.yaml\",\"apiVersion\":\"networking.istio.io/v1\",\"kind\":\"VirtualService\",\"metadata\":{\"name\":\"old\"},"
            + "\"spec\":{\"hosts\":[\"old\"],\"http\":["
            + "{\"match\":[{\"uri\":{\"prefix\":\"/foo/\"}}],\"redirect\":{\"authority\":\"foo.example.com\",\"prefixRewrite\":\"/\"}},"
            + "{\"match\":[{\"uri\":{\"prefix\":\"/bar\"}}],\"redirect\":{\"prefixRewrite\":\"/baz\",\"redirectCode\":302}}]}}";
    MeshEngine e = engine(vs, service("old", 1));
    // the page's example: /foo/ matched, prefixRewrite "/" → example.com/foo/bar becomes foo.example.com/bar
    assertThat(location(e, "/foo/bar?x=1")).isEqualTo("301 http://foo.example.com/bar?x=1");
    // the field's examples: route prefix /bar (here), prefixRewrite /baz: /bar/qux becomes /baz/qux
    assertThat(location(e, "/bar/qux")).isEqualTo("302 http://old/baz/qux");
  }

  static String location(MeshEngine e, String path) throws Exception {
    Attempt a = e.outbound(new Req("old", path, Map.of())).startAttempt();
    assertThat(a.isLocalReply()).isTrue();
    InetSocketAddress r = a.address();
    HttpResponse<String> resp =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://" + r.getAddress().getHostAddress() + ":" + r.getPort() + "/"))
                    .header(Mesh.LOCAL_REPLY_HEADER, a.localReplyToken())
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    return resp.statusCode() + " " + resp.headers().firstValue("location").orElse("(none)");
  }

  // ---- consistentHash.httpCookie with a ttl ----------------------------------------------------

  /** https://istio.io/latest/docs/reference/config/networking/destination-rule/#LoadBalancerSettings-ConsistentHashLB-HTTPCookie */
  @Test
  void hashCookieWithTtl_istioDestinationRuleReference_isGeneratedWhenAbsentSetOnTheResponseAndSticks() {
    MeshEngine e = engine(dr("sticky", "{\"loadBalancer\":{\"consistentHash\":{\"httpCookie\":{\"name\":\"session\",\"path\":\"/\",\"ttl\":\"60s\"}}}}"), service("sticky", 4));
    Set<InetSocketAddress> firstPicks = new HashSet<>();
    for (int round = 0; round < 20; round++) {
      OutboundCall first = e.outbound(new Req("sticky", "/", Map.of()));
      InetSocketAddress picked = first.startAttempt().address();
      firstPicks.add(picked);
      MapSink response = new MapSink();
      first.editResponse(response);
      List<String> setCookie = response.headers.get("Set-Cookie");
      assertThat(setCookie).hasSize(1);
      assertThat(setCookie.get(0)).matches("session=\"[0-9a-f]{16}\"; Max-Age=60; Path=/; HttpOnly");
      String value = setCookie.get(0).substring("session=".length(), setCookie.get(0).indexOf(';'));
      for (String sent : List.of("session=" + value, "session=" + value.replace("\"", ""), "a=b; session=" + value + "; c=d")) {
        OutboundCall later = e.outbound(new Req("sticky", "/", Map.of("cookie", sent)));
        assertThat(later.startAttempt().address()).as("a call sending " + sent).isEqualTo(picked);
        MapSink r = new MapSink();
        later.editResponse(r);
        assertThat(r.headers).as("no new cookie while one is sent").doesNotContainKey("Set-Cookie");
      }
    }
    assertThat(firstPicks).as("generated cookies spread over the endpoints").hasSizeGreaterThan(1);
  }

  @Test
  void aZeroTtlMakesASessionCookieAndNoTtlMakesNone() {
    MeshEngine session = engine(dr("sticky", "{\"loadBalancer\":{\"consistentHash\":{\"httpCookie\":{\"name\":\"s\",\"ttl\":\"0s\"}}}}"), service("sticky", 2));
    MapSink r = new MapSink();
    OutboundCall c = session.outbound(new Req("sticky", "/", Map.of()));
    c.startAttempt();
    c.editResponse(r);
    assertThat(r.headers.get("Set-Cookie")).singleElement().asString().matches("s=\"[0-9a-f]{16}\"; HttpOnly");
    MeshEngine none = engine(dr("sticky", "{\"loadBalancer\":{\"consistentHash\":{\"httpCookie\":{\"name\":\"s\"}}}}"), service("sticky", 2));
    MapSink r2 = new MapSink();
    OutboundCall c2 = none.outbound(new Req("sticky", "/", Map.of()));
    c2.startAttempt();
    c2.editResponse(r2);
    assertThat(r2.headers).doesNotContainKey("Set-Cookie");
  }

  // ---- connection lifetimes --------------------------------------------------------------------

  @Test
  void anAttemptCarriesItsRoutesConnectionLifetimes() {
    MeshEngine e =
        engine(
            dr("pool", "{\"connectionPool\":{\"tcp\":{\"maxConnectionDuration\":\"30s\",\"idleTimeout\":\"2s\",\"connectTimeout\":\"250ms\"},\"http\":{\"maxRequestsPerConnection\":3,\"idleTimeout\":\"5s\"}}}"),
            service("pool", 1) + "," + service("plain", 1).replace("127.0.24.100", "127.0.24.110"));
    Attempt a = e.outbound(new Req("pool", "/", Map.of())).startAttempt();
    assertThat(a.maxRequestsPerConnection()).isEqualTo(3);
    assertThat(a.maxConnectionDurationNanos()).isEqualTo(Duration.ofSeconds(30).toNanos());
    assertThat(a.connectionIdleTimeoutNanos()).as("the shorter of http and tcp idleTimeout").isEqualTo(Duration.ofSeconds(2).toNanos());
    assertThat(a.connectTimeoutMillis()).isEqualTo(250);
    Attempt plain = e.outbound(new Req("plain", "/", Map.of())).startAttempt();
    assertThat(plain.maxRequestsPerConnection()).isZero();
    assertThat(plain.maxConnectionDurationNanos()).isZero();
    assertThat(plain.connectionIdleTimeoutNanos()).isZero();
  }

  /**
   * A caller that gives up while its attempt waits for a pool slot leaves the line at once, as
   * Envoy cancels a pending request when its downstream resets
   * (https://istio.io/latest/docs/tasks/traffic-management/circuit-breaking/: maxConnections 1,
   * http1MaxPendingRequests 1): the next call waits in its place instead of overflowing (503 UO).
   */
  @Test
  void cancellingAPendingAsyncAdmissionFreesItsPlaceInLine() throws Exception {
    MeshEngine e =
        engine(dr("cb", "{\"connectionPool\":{\"tcp\":{\"maxConnections\":1},\"http\":{\"http1MaxPendingRequests\":1}}}"), service("cb", 1));
    Attempt holding = e.outbound(new Req("cb", "/", Map.of())).startAttemptAsync().toCompletableFuture().getNow(null);
    assertThat(holding).as("the one connection").isNotNull();
    assertThat(holding.address()).as("routed, not a local answer").isNotNull();
    CompletableFuture<Attempt> gaveUp = e.outbound(new Req("cb", "/", Map.of())).startAttemptAsync().toCompletableFuture();
    assertThat(gaveUp).as("waits for the connection").isNotDone();
    assertThat(gaveUp.cancel(true)).as("cancelled while waiting").isTrue();

    CompletableFuture<Attempt> next = e.outbound(new Req("cb", "/", Map.of())).startAttemptAsync().toCompletableFuture();
    assertThat(next).as("waits in the cancelled one's place, not overflowed").isNotDone();
    holding.onEnd();
    Attempt granted = next.get(5, TimeUnit.SECONDS);
    assertThat(granted.address()).as("the freed connection goes to the call still waiting").isNotNull();
    assertThat(gaveUp.cancel(true)).as("a second cancel changes nothing").isFalse();
    granted.onEnd();
  }

  record Limits(long max, long duration, long idle) implements Attempt {
    public long maxRequestsPerConnection() {
      return max;
    }

    public long maxConnectionDurationNanos() {
      return duration;
    }

    public long connectionIdleTimeoutNanos() {
      return idle;
    }

    public InetSocketAddress address() {
      return null;
    }

    public boolean isLocalReply() {
      return false;
    }

    public String localReplyPath() {
      return null;
    }

    public String localReplyToken() {
      return null;
    }

    public long deadlineNanos() {
      return 0;
    }

    public long timeoutMillis() {
      return 0;
    }

    public int connectTimeoutMillis() {
      return 0;
    }

    public int onResponse(int status, Function<String, String> header) {
      return DELIVER;
    }

    public int onFailure(Throwable failure, boolean timedOut, boolean requestSent) {
      return FAIL;
    }

    public long backoffNanos() {
      return 0;
    }

    public void onEnd() {}
  }

  @Test
  void connectionUseRetiresAfterMaxRequestsOrDurationAndExpiresWhenIdle() {
    long s = 1_000_000_000L;
    ConnectionUse use = new ConnectionUse(10 * s);
    Limits limits = new Limits(2, 5 * s, 2 * s);
    use.request(limits);
    assertThat(use.retireAfterRequest(10 * s)).isFalse();
    use.idle(11 * s);
    assertThat(use.expired(12 * s)).as("idle 1 s of 2").isFalse();
    assertThat(use.expired(13 * s)).as("idle 2 s of 2").isTrue();
    assertThat(use.keepAliveSeconds(1200, 11 * s)).as("capped by the idle timeout").isEqualTo(2);
    use.request(limits);
    assertThat(use.retireAfterRequest(12 * s)).as("the second of two requests").isTrue();

    ConnectionUse old = new ConnectionUse(0);
    old.request(new Limits(0, 5 * s, 0));
    assertThat(old.retireAfterRequest(4 * s)).isFalse();
    assertThat(old.keepAliveSeconds(1200, 4 * s)).as("what is left of the duration").isEqualTo(1);
    assertThat(old.retireAfterRequest(5 * s)).isTrue();
    assertThat(old.expired(5 * s)).isTrue();

    ConnectionUse none = new ConnectionUse(0);
    none.request(new Limits(0, 0, 0));
    none.idle(1);
    assertThat(none.expired(Long.MAX_VALUE / 2)).isFalse();
    assertThat(none.keepAliveSeconds(30, 0)).isEqualTo(30);

    ConnectionUse shared = new ConnectionUse(0);
    shared.request(new Limits(0, 0, 0));
    shared.request(new Limits(0, 0, 0));
    shared.request(new Limits(2, 0, 0));
    assertThat(shared.retireAfterRequest(0)).as("requests under another limit count anew").isFalse();
    shared.request(new Limits(2, 0, 0));
    assertThat(shared.retireAfterRequest(0)).isTrue();
  }
}
