package io.inmesh.smoke;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Helpers the scenarios share for the task backends (apps/tasks/TaskBackendApp) and caller results. */
final class TaskBackends {
  private TaskBackends() {}

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** One field of every result of a caller's batch of calls. */
  static List<String> field(JsonNode calls, String name) {
    List<String> out = new ArrayList<>();
    for (JsonNode r : calls.path("results")) {
      out.add(r.path(name).asText());
    }
    return out;
  }

  static String listener(String address) {
    return address + ":8080";
  }

  /** A backend's control path, called directly by address (never through the mesh). */
  static String backend(String address, String control) {
    HttpResponse<String> r = Smoke.send(HttpRequest.newBuilder(URI.create("http://" + address + ":8080/control/" + control)).timeout(Duration.ofSeconds(10)).build());
    assertThat(r.statusCode()).as(control + " at " + address + ": " + r.body()).isEqualTo(200);
    return r.body();
  }

  /** Requests the backends at {@code addresses} served in all. */
  static int servedBy(List<String> addresses) {
    return addresses.stream().mapToInt(a -> Integer.parseInt(backend(a, "count"))).sum();
  }

  /** Requests the backends at {@code addresses} served carrying {@code key}. */
  static int servedBy(List<String> addresses, String key) {
    return addresses.stream().mapToInt(a -> Integer.parseInt(backend(a, "count?key=" + enc(key)))).sum();
  }
}
