package io.inmesh.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/view}: a workload scoped by an Istio Sidecar gets only the services its egress
 * hosts name (https://istio.io/latest/docs/reference/config/networking/sidecar/), the policy about
 * them, and its poll is held until that view changes; a workload no Sidecar selects gets the whole
 * mesh, exactly what {@code GET /v1/snapshot} serves.
 */
class WorkloadViewTest {

  @TempDir Path tmp;

  static final String POLICY =
      """
      apiVersion: networking.istio.io/v1
      kind: Sidecar
      metadata:
        name: caller
      spec:
        workloadSelector:
          labels:
            app: caller
        egress:
        - hosts:
          - "./callee"
      ---
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata:
        name: callee
      spec:
        hosts: [callee]
        http:
        - route:
          - destination:
              host: callee
      ---
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata:
        name: other
      spec:
        hosts: [other]
        http:
        - route:
          - destination:
              host: other
      """;

  @Test
  void aSidecarScopedWorkloadGetsOnlyItsEgressHostsAndIsWokenOnlyByThem() throws Exception {
    Path policies = Files.createDirectories(tmp.resolve("policies"));
    Files.writeString(policies.resolve("mesh.yaml"), POLICY);
    try (RunningControlPlane cp = RunningControlPlane.start(policies, tmp.resolve("data"))) {
      register(cp, "caller-1", "caller", "127.5.0.1");
      register(cp, "callee-1", "callee", "127.5.0.2");
      register(cp, "other-1", "other", "127.5.0.3");
      register(cp, "free-1", "free", "127.5.0.4");

      Map<String, Object> view = RunningControlPlane.json(view(cp, "caller-1", null));
      assertThat(names(view, "services", "name")).containsExactly("callee");
      assertThat(view.get("resources").toString()).contains("name=callee").doesNotContain("name=other");
      assertThat(view.get("resources").toString()).contains("kind=Sidecar");

      // a workload no Sidecar selects gets the whole mesh, as from GET /v1/snapshot
      Map<String, Object> free = RunningControlPlane.json(view(cp, "free-1", null));
      assertThat(names(free, "services", "name")).contains("callee", "other", "caller", "free");
      assertThat(free.get("version")).isEqualTo(cp.version());

      // held until the view changes: an endpoint outside the scope does not answer it, one inside does
      String v = (String) view.get("version");
      CompletableFuture<HttpResponse<String>> held =
          cp.http.sendAsync(
              HttpRequest.newBuilder(cp.uri("/v1/view?agent=caller-1&wait=10s&version=" + v)).timeout(Duration.ofSeconds(30)).build(),
              HttpResponse.BodyHandlers.ofString());
      register(cp, "other-2", "other", "127.5.0.5");
      register(cp, "callee-2", "callee", "127.5.0.6");
      HttpResponse<String> woken = held.get(20, TimeUnit.SECONDS);
      assertThat(woken.statusCode()).isEqualTo(200);
      assertThat(woken.body()).contains("127.5.0.6").doesNotContain("127.5.0.5").doesNotContain("127.5.0.3");
    }
  }

  @Test
  void anUnregisteredAgentIsToldToRegisterAndAMissingAgentIsABadRequest() throws Exception {
    Path policies = Files.createDirectories(tmp.resolve("policies"));
    try (RunningControlPlane cp = RunningControlPlane.start(policies, tmp.resolve("data"))) {
      HttpResponse<String> unknown = view(cp, "nobody", null);
      assertThat(unknown.statusCode()).isEqualTo(404);
      assertThat(unknown.body()).contains("unknown agent").contains("register again");
      assertThat(cp.get("/v1/view").statusCode()).isEqualTo(400);
    }
  }

  private static HttpResponse<String> view(RunningControlPlane cp, String agent, String version) {
    return cp.get("/v1/view?agent=" + agent + "&wait=0s" + (version == null ? "" : "&version=" + version));
  }

  private static void register(RunningControlPlane cp, String agent, String service, String address) {
    HttpResponse<String> r =
        cp.post("/v1/register",
            "{\"agent\":\"" + agent + "\",\"service\":\"" + service + "\",\"labels\":{\"app\":\"" + service
                + "\"},\"address\":\"" + address + "\",\"ports\":[8080]}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  @SuppressWarnings("unchecked")
  private static List<Object> names(Map<String, Object> tree, String list, String field) {
    return ((List<Map<String, Object>>) tree.get(list)).stream().map(m -> m.get(field)).toList();
  }
}
