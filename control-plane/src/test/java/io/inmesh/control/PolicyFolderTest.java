package io.inmesh.control;

import static io.inmesh.control.RunningControlPlane.eventually;
import static io.inmesh.control.RunningControlPlane.json;
import static org.assertj.core.api.Assertions.assertThat;

import org.assertj.core.api.InstanceOfAssertFactories;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The watched policy folder: edits reach held polls, bad files never take good policy away. */
class PolicyFolderTest {

  @TempDir Path tmp;
  Path policies;
  RunningControlPlane cp;

  @BeforeEach
  void folder() throws IOException {
    policies = Files.createDirectories(tmp.resolve("policies"));
  }

  @AfterEach
  void stop() {
    if (cp != null) {
      cp.close();
    }
  }

  @Test
  void aHeldPollIsAnsweredSoonAfterAFileIsEdited() throws Exception {
    Files.writeString(policies.resolve("canary.yaml"), SamplePolicies.CANARY);
    cp = RunningControlPlane.start(policies, tmp.resolve("data"));
    String v1 = cp.version();

    // unchanged: a short wait ends in 304
    HttpResponse<String> unchanged = cp.poll(v1, "300ms").get(5, TimeUnit.SECONDS);
    assertThat(unchanged.statusCode()).isEqualTo(304);
    assertThat(unchanged.body()).isEmpty();

    CompletableFuture<HttpResponse<String>> held = cp.poll(v1, "20s");
    Thread.sleep(300);
    assertThat(held).isNotDone();

    Files.writeString(policies.resolve("canary.yaml"), SamplePolicies.CANARY_EDITED);
    // the poll asked to be held 20 s: a 200 within 10 s can only be the edit waking it (timings are bench's business)
    HttpResponse<String> r = held.get(10, TimeUnit.SECONDS);

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    String v2 = (String) json(r).get("version");
    assertThat(v2).isNotEqualTo(v1).hasSize(16);
    assertThat(r.headers().firstValue("X-Inmesh-Version")).hasValue(v2);
    assertThat(json(r)).containsEntry("generation", 2);
    // the poll is answered when the snapshot is published, the reload logged just after: CI once saw the answer first
    cp.awaitLog("the reload with snapshot " + v2, l -> l.contains("policy canary.yaml loaded: 2 resources") && l.contains("snapshot " + v2 + " generation 2"));
  }

  @Test
  void hundredsOfHeldPollsAreAllAnsweredByOneChange() throws Exception {
    Files.writeString(policies.resolve("canary.yaml"), SamplePolicies.CANARY);
    cp = RunningControlPlane.start(policies, tmp.resolve("data"));
    String v1 = cp.version();
    List<CompletableFuture<HttpResponse<String>>> polls = new java.util.ArrayList<>();
    for (int i = 0; i < 200; i++) {
      polls.add(cp.poll(v1, "20s"));
    }
    Thread.sleep(500);
    assertThat(polls).noneMatch(CompletableFuture::isDone);

    assertThat(cp.post("/v1/policy?file=pedido.yaml", SamplePolicies.PEDIDO).statusCode()).isEqualTo(200);
    // each poll asked to be held 20 s: all answered 200 within 10 s means the one change woke them all
    CompletableFuture.allOf(polls.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
    for (CompletableFuture<HttpResponse<String>> p : polls) {
      assertThat(p.get().statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aMalformedFileIsRejectedAndItsLastGoodVersionKeepsServing() throws Exception {
    Files.writeString(policies.resolve("canary.yaml"), SamplePolicies.CANARY);
    Files.writeString(policies.resolve("pedido.yaml"), SamplePolicies.PEDIDO);
    cp = RunningControlPlane.start(policies, tmp.resolve("data"));
    Map<String, Object> good = cp.snapshot();
    String v1 = (String) good.get("version");
    assertThat(resourceNames(good))
        .containsExactly("usuario-service-routing", "usuario-service-subsets", "pedido-service");

    Files.writeString(policies.resolve("canary.yaml"), SamplePolicies.CANARY_BROKEN);
    eventually(Duration.ofSeconds(5), "canary.yaml to be rejected", () -> "rejected".equals(file("canary.yaml").get("status")));

    Map<String, Object> canary = file("canary.yaml");
    assertThat(canary).containsEntry("servingLastGood", true);
    assertThat(canary.get("resources"))
        .isEqualTo(List.of("VirtualService default/usuario-service-routing", "DestinationRule default/usuario-service-subsets"));
    Map<String, Object> error = diagnostics(canary).stream().filter(d -> "error".equals(d.get("severity"))).findFirst().orElseThrow();
    assertThat(error)
        .containsEntry("file", "canary.yaml")
        .containsEntry("line", 12)
        .containsEntry("resource", "VirtualService default/usuario-service-routing")
        .containsEntry("path", "spec.http[0].route[1].weight");
    String text =
        "canary.yaml:12: error: VirtualService default/usuario-service-routing: spec.http[0].route[1].weight: must be an integer 0..100, got \"a lot\"";
    assertThat((String) error.get("text")).startsWith(text);
    cp.awaitLog("the error", l -> l.contains(text));
    cp.awaitLog("the rejection", l -> l.contains("policy canary.yaml REJECTED (1 error): serving its last good version (2 resources)"));
    assertThat(file("pedido.yaml")).containsEntry("status", "ok");

    // nothing moved: same version, same resources, and the other file is untouched
    assertThat(cp.snapshot()).isEqualTo(good);
    assertThat(cp.getJson("/v1/policy")).containsEntry("version", v1);

    // logged once per content change, not once per scan
    Thread.sleep(500);
    assertThat(cp.log.stream().filter(l -> l.contains(text)).count()).isEqualTo(1);

    // a fixed file serves again
    Files.writeString(policies.resolve("canary.yaml"), SamplePolicies.CANARY_EDITED);
    eventually(Duration.ofSeconds(5), "canary.yaml to load", () -> "ok".equals(file("canary.yaml").get("status")));
    assertThat(cp.version()).isNotEqualTo(v1);
  }

  @Test
  void aFileThatNeverLoadedContributesNothingAndADeletedFileIsRemoved() throws Exception {
    Files.writeString(policies.resolve("canary.yaml"), SamplePolicies.CANARY);
    cp = RunningControlPlane.start(policies, tmp.resolve("data"));
    String v1 = cp.version();

    Files.writeString(policies.resolve("broken.yaml"), "apiVersion: [unclosed\n  kind: x\n");
    eventually(Duration.ofSeconds(5), "broken.yaml to be seen", () -> hasFile("broken.yaml"));
    assertThat(file("broken.yaml")).containsEntry("status", "rejected").containsEntry("servingLastGood", false);
    assertThat(file("broken.yaml").get("resources")).asInstanceOf(InstanceOfAssertFactories.LIST).isEmpty();
    assertThat(cp.version()).isEqualTo(v1);

    // editors' hidden and backup files are not policy
    Files.writeString(policies.resolve(".#canary.yaml"), SamplePolicies.PEDIDO);
    Files.writeString(policies.resolve("canary.yaml~"), SamplePolicies.PEDIDO);
    Files.writeString(policies.resolve("notes.txt"), SamplePolicies.PEDIDO);

    Files.delete(policies.resolve("canary.yaml"));
    eventually(Duration.ofSeconds(5), "canary.yaml to be removed", () -> !hasFile("canary.yaml"));
    // the folder's listing and the published snapshot are two reads: the snapshot may follow a moment later
    eventually(Duration.ofSeconds(5), "canary.yaml's resources to leave the snapshot", () -> resourceNames(cp.snapshot()).isEmpty());
    assertThat(cp.getJson("/v1/policy").get("files")).asInstanceOf(InstanceOfAssertFactories.LIST).hasSize(1);
    cp.awaitLog("the deletion", l -> l.contains("policy canary.yaml deleted: 2 resources removed"));
  }

  @Test
  void identicalContentHasTheIdenticalVersionAcrossRestarts() throws Exception {
    Files.writeString(policies.resolve("canary.yaml"), SamplePolicies.CANARY);
    Files.writeString(policies.resolve("pedido.yaml"), SamplePolicies.PEDIDO);
    String first;
    try (RunningControlPlane a = RunningControlPlane.start(policies, tmp.resolve("data-a"))) {
      first = a.version();
    }
    try (RunningControlPlane b = RunningControlPlane.start(policies, tmp.resolve("data-b"))) {
      assertThat(b.version()).isEqualTo(first);
    }
  }

  @Test
  void resourcesWithoutANamespaceGetTheControlPlanesDefaultOnTheWire() throws Exception {
    Files.writeString(policies.resolve("canary.yaml"), SamplePolicies.CANARY);
    cp =
        RunningControlPlane.start(
            new ControlPlaneConfig(
                RunningControlPlane.HOST, 0, policies, tmp.resolve("data"), "shop",
                Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ZERO));
    Map<String, Object> first = resources(cp.snapshot()).get(0);
    assertThat(first).containsEntry("file", "canary.yaml");
    assertThat(first.get("metadata")).asInstanceOf(InstanceOfAssertFactories.MAP).containsEntry("namespace", "shop");
    assertThat(file("canary.yaml").get("resources")).asInstanceOf(InstanceOfAssertFactories.LIST).contains("VirtualService shop/usuario-service-routing");
  }

  private boolean hasFile(String name) {
    return files().stream().anyMatch(f -> name.equals(f.get("file")));
  }

  private Map<String, Object> file(String name) {
    return files().stream().filter(f -> name.equals(f.get("file"))).findFirst().orElseThrow(() -> new AssertionError("no " + name));
  }

  @SuppressWarnings("unchecked")
  private List<Map<String, Object>> files() {
    return (List<Map<String, Object>>) cp.getJson("/v1/policy").get("files");
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> diagnostics(Map<String, Object> file) {
    return (List<Map<String, Object>>) file.get("diagnostics");
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> resources(Map<String, Object> snapshot) {
    return (List<Map<String, Object>>) snapshot.get("resources");
  }

  static List<Object> resourceNames(Map<String, Object> snapshot) {
    return resources(snapshot).stream().map(r -> ((Map<?, ?>) r.get("metadata")).get("name")).map(Object.class::cast).toList();
  }
}
