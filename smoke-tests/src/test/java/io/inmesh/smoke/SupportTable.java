package io.inmesh.smoke;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The README's support table (issue 14 item 5), built from what the smoke tests recorded on each
 * Java ({@link SupportRecorder}): one row per library, its version range, what works (every feature
 * a test showed for it, a failed one marked ❌ with the Java it failed on), and a column per Java.
 * Nothing in a row's "what works" is written by hand: a feature appears only if a test recorded it.
 */
final class SupportTable {

  /** A library row: its key in {@link Shows}, its name, its role, and the versions its module meshes. */
  record Library(String key, String name, String role, String versions) {}

  static final List<Library> LIBRARIES = List.of(
      new Library("jdk", "JDK `HttpClient` (`send`, `sendAsync`; HTTP/2-preferred and HTTP/1.1)", "client", "Java 17+"),
      new Library("huc", "`HttpURLConnection` (also `new RestTemplate()`)", "client", "Java 17+"),
      new Library("okhttp4", "OkHttp 4", "client", "4.12"),
      new Library("okhttp5", "OkHttp 5 (`okhttp-jvm`)", "client", "5.x"),
      new Library("apache5", "Apache HttpClient 5 classic", "client", "5.1+"),
      new Library("apache5-async", "Apache HttpClient 5 async", "client", "5.1+"),
      new Library("apache4", "Apache HttpClient 4", "client", "4.3–4.5"),
      new Library("reactor-netty", "Reactor Netty `HttpClient`", "client", "1.2, 1.3"),
      new Library("webclient", "Spring `WebClient` (Reactor Netty connector)", "client", "Spring 6.x, 7.x"),
      new Library("jetty-client", "Jetty `HttpClient`", "client", "12.0, 12.1"),
      new Library("feign", "OpenFeign (default client, `feign-okhttp`; `AsyncFeign`)", "client layer", "13.x"),
      new Library("spring-cloud-lb", "Spring Cloud LoadBalancer (`@LoadBalanced` `RestTemplate`, `WebClient.Builder`, `RestClient.Builder`)", "client layer", "4.x, 5.0"),
      new Library("jdk-server", "JDK `HttpServer` (`com.sun.net.httpserver`)", "server", "Java 17+"),
      new Library("tomcat", "Tomcat 10.1 and 11 (embedded, Spring Boot 3.5 / 4)", "server", "10.1, 11.0"),
      new Library("tomcat9", "Tomcat 9 (`javax`)", "server", "9.0"),
      new Library("jetty-server", "Jetty 12 server", "server", "12.0, 12.1"),
      new Library("undertow", "Undertow (`undertow-core`)", "server", "2.3"),
      new Library("rn-server", "Reactor Netty `HttpServer` (also WebFlux)", "server", "1.2, 1.3"),
      new Library("resilience4j", "Resilience4j `Retry`", "application retry", "2.x"),
      new Library("spring-retry", "Spring Retry (`RetryTemplate`, `@Retryable`) and Spring Framework 7's `RetryTemplate`", "application retry", "2.x; 7.0"),
      new Library("reactor-retry", "Reactor `retryWhen` / `retry(n)`", "application retry", "reactor-core 3.4+"),
      new Library("feign-retryer", "Feign `Retryer`", "application retry", "13.x"));

  /** A feature: its key in {@link Shows}, the name its cell shows, and what it means (the legend). */
  record Feature(String key, String name, String meaning) {}

  static final List<Feature> FEATURES = List.of(
      new Feature("canary", "canary", "the seed's header canary by mesh name, 100 calls per header value, two endpoints per subset sharing the calls"),
      new Feature("matrix", "matrix", "the seed's canary in every cell of the client × server matrix below (every server library for a client, every client for a server)"),
      new Feature("istio-tasks", "Istio tasks", "Istio's traffic-management task pages replayed: request routing, traffic shifting, fault injection, request timeouts, retries, circuit breaking, mirroring"),
      new Feature("suite", "own suite", "the library's own smoke suite: its local answers in its own response or exception shape, its own retry layer never re-sending them, timeouts, the start-up wait without blocking its threads (BlockHound for reactive ones)"),
      new Feature("boot", "Spring Boot 3.5 + 4", "one mesh decision per call inside unmodified Spring Boot 3.5 and 4 applications"),
      new Feature("registration", "registration", "every listener registered with the mesh, deregistered on stop"),
      new Feature("inbound", "inbound + authz", "the inbound stage before the application: a client's `X-Forwarded-Client-Cert` dropped, AuthorizationPolicy DENY answered 403"),
      new Feature("mtls", "mTLS", "mesh mTLS: auto mTLS and DestinationRule TLS modes on clients; PeerAuthentication STRICT / PERMISSIVE on servers; the verified peer in `X-Forwarded-Client-Cert`"),
      new Feature("origination", "TLS origination", "DestinationRule `tls` SIMPLE / MUTUAL to ServiceEntry hosts (Istio's egress TLS origination)"),
      new Feature("mesh-profile", "mesh profile", "the same in the lean mesh profile (no OpenTelemetry agent)"),
      new Feature("app-retry", "no retry storms", "recognised as the application's retry: the mesh does not multiply its attempts"),
      new Feature("untouched", "older versions left alone", "a version outside the range is left alone and reported once, never broken"));

  static final String BEGIN = "<!-- support:begin -->";
  static final String END = "<!-- support:end -->";

  private SupportTable() {}

  static void requireKnown(String feature, String library, String source) {
    if (FEATURES.stream().noneMatch(f -> f.key().equals(feature))) {
      throw new IllegalArgumentException(source + ": unknown feature '" + feature + "' (SupportTable.FEATURES)");
    }
    if (LIBRARIES.stream().noneMatch(l -> l.key().equals(library))) {
      throw new IllegalArgumentException(source + ": unknown library '" + library + "' (SupportTable.LIBRARIES)");
    }
  }

  /**
   * The table, from each Java's outcomes ({@code javas}: column name → outcomes, in column order).
   * A feature cell is plain when every Java that recorded it passed, else marked with where it
   * failed; a Java column is ✅ when every outcome recorded for the library on it passed.
   */
  static String render(Map<String, List<SupportRecorder.Outcome>> javas) {
    StringBuilder md = new StringBuilder();
    md.append("| library | role | versions | what works (shown by the smoke tests) |");
    for (String java : javas.keySet()) {
      md.append(' ').append(java).append(" |");
    }
    md.append("\n|---|---|---|---|").append("---|".repeat(javas.size())).append('\n');
    for (Library l : LIBRARIES) {
      List<String> works = new ArrayList<>();
      for (Feature f : FEATURES) {
        List<String> failedOn = new ArrayList<>();
        boolean recorded = false;
        for (Map.Entry<String, List<SupportRecorder.Outcome>> j : javas.entrySet()) {
          List<SupportRecorder.Outcome> mine = of(j.getValue(), l.key(), f.key());
          recorded |= !mine.isEmpty();
          if (mine.stream().anyMatch(o -> !o.passed())) {
            failedOn.add(j.getKey());
          }
        }
        if (recorded) {
          works.add(failedOn.isEmpty() ? f.name() : "❌ " + f.name() + " (" + String.join(", ", failedOn) + ")");
        }
      }
      md.append("| ").append(l.name()).append(" | ").append(l.role()).append(" | ").append(l.versions()).append(" | ")
          .append(works.isEmpty() ? "not shown" : String.join(" · ", works)).append(" |");
      for (List<SupportRecorder.Outcome> outcomes : javas.values()) {
        List<SupportRecorder.Outcome> mine = outcomes.stream().filter(o -> o.library().equals(l.key())).toList();
        md.append(' ').append(mine.isEmpty() ? "not run" : mine.stream().allMatch(SupportRecorder.Outcome::passed) ? "✅" : "❌").append(" |");
      }
      md.append('\n');
    }
    md.append('\n');
    for (Feature f : FEATURES) {
      md.append("- **").append(f.name()).append("**: ").append(f.meaning()).append('\n');
    }
    return md.toString();
  }

  private static List<SupportRecorder.Outcome> of(List<SupportRecorder.Outcome> all, String library, String feature) {
    return all.stream().filter(o -> o.library().equals(library) && o.feature().equals(feature)).toList();
  }

  /** Every test that recorded an outcome, per library (for the check's failure message). */
  static Map<String, List<String>> failures(Map<String, List<SupportRecorder.Outcome>> javas) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    javas.forEach(
        (java, outcomes) -> outcomes.stream()
            .filter(o -> !o.passed())
            .forEach(o -> out.computeIfAbsent(java, k -> new ArrayList<>()).add(o.library() + " " + o.feature() + " ← " + o.source())));
    return out;
  }
}
