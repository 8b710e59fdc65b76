package io.inmesh.control;

import static io.inmesh.control.RunningControlPlane.json;
import static org.assertj.core.api.Assertions.assertThat;

import org.assertj.core.api.InstanceOfAssertFactories;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Apply, delete and validate policy over HTTP; and how the API answers what it does not serve. */
class PolicyApiTest {

  @TempDir Path tmp;
  Path policies;
  RunningControlPlane cp;

  @BeforeEach
  void start() throws IOException {
    policies = Files.createDirectories(tmp.resolve("policies"));
    Files.writeString(policies.resolve("pedido.yaml"), SamplePolicies.PEDIDO);
    cp = RunningControlPlane.start(policies, tmp.resolve("data"));
  }

  @AfterEach
  void stop() {
    cp.close();
  }

  @Test
  void applyingAFileWithAnErrorIs400AndChangesNothing() {
    String before = cp.version();
    HttpResponse<String> r = cp.post("/v1/policy?file=canary.yaml", SamplePolicies.CANARY_BROKEN);

    assertThat(r.statusCode()).isEqualTo(400);
    Map<String, Object> body = json(r);
    assertThat(body).containsKeys("errors", "warnings", "error", "hint");
    @SuppressWarnings("unchecked")
    Map<String, Object> error = ((List<Map<String, Object>>) body.get("errors")).get(0);
    assertThat(error)
        .containsEntry("severity", "error")
        .containsEntry("file", "canary.yaml")
        .containsEntry("line", 12)
        .containsEntry("resource", "VirtualService default/usuario-service-routing")
        .containsEntry("path", "spec.http[0].route[1].weight");
    assertThat(Files.exists(policies.resolve("canary.yaml"))).isFalse();
    assertThat(cp.version()).isEqualTo(before);
  }

  @Test
  @SuppressWarnings("unchecked")
  void applyingAFileThatClashesWithServedPolicyIs400AndChangesNothing() {
    String before = cp.version();
    // valid on its own, but pedido.yaml already defines DestinationRule default/pedido-service
    HttpResponse<String> r = cp.post("/v1/policy?file=z-copy.yaml", SamplePolicies.PEDIDO);

    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    Map<String, Object> error = ((List<Map<String, Object>>) json(r).get("errors")).get(0);
    assertThat(error)
        .containsEntry("file", "z-copy.yaml")
        .containsEntry("resource", "DestinationRule default/pedido-service")
        .extractingByKey("message")
        .asString()
        .contains("is already defined at pedido.yaml:1");
    assertThat(Files.exists(policies.resolve("z-copy.yaml"))).isFalse();
    assertThat(cp.version()).isEqualTo(before);
    // the same check without applying
    assertThat(json(cp.post("/v1/validate?file=z-copy.yaml", SamplePolicies.PEDIDO))).containsEntry("valid", false);
  }

  @Test
  void applyingAValidFileWritesItAndAnswersWithTheNewVersion() throws IOException {
    String before = cp.version();
    HttpResponse<String> r = cp.post("/v1/policy?file=canary.yaml", SamplePolicies.CANARY);

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    Map<String, Object> body = json(r);
    assertThat(body.get("version")).isNotEqualTo(before).isEqualTo(cp.version());
    assertThat(body).containsEntry("generation", 2).containsKey("warnings");
    assertThat(Files.readString(policies.resolve("canary.yaml"))).isEqualTo(SamplePolicies.CANARY);
    try (Stream<Path> s = Files.list(policies)) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("canary.yaml", "pedido.yaml");
    }

    // the same content again: same version
    assertThat(json(cp.post("/v1/policy?file=canary.yaml", SamplePolicies.CANARY)).get("version")).isEqualTo(body.get("version"));
    // an edit of the same size and within the same clock tick is still seen
    String edited = SamplePolicies.CANARY.replace("subset: v2\n", "subset: v9\n");
    assertThat(json(cp.post("/v1/policy?file=canary.yaml", edited)).get("version")).isNotEqualTo(body.get("version"));
  }

  @Test
  void deleteRemovesTheFileAndItsResources() {
    String before = cp.version();
    assertThat(cp.post("/v1/policy?file=canary.yaml", SamplePolicies.CANARY).statusCode()).isEqualTo(200);

    HttpResponse<String> r = cp.delete("/v1/policy?file=canary.yaml");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(json(r)).containsEntry("version", before);
    assertThat(Files.exists(policies.resolve("canary.yaml"))).isFalse();

    HttpResponse<String> again = cp.delete("/v1/policy?file=canary.yaml");
    assertThat(again.statusCode()).isEqualTo(404);
    assertThat(json(again)).containsKeys("error", "hint");
  }

  @Test
  void fileNamesThatCouldEscapeTheFolderOrHideAreRefused() {
    for (String name : List.of("../x.yaml", "a/b.yaml", "x.json", ".hidden.yaml", "..yaml", "", "%2e%2e%2fx.yaml")) {
      HttpResponse<String> r = cp.post("/v1/policy?file=" + name, SamplePolicies.CANARY);
      assertThat(r.statusCode()).as(name).isEqualTo(400);
      assertThat(json(r)).as(name).containsKeys("error", "hint");
    }
    assertThat(cp.post("/v1/policy", SamplePolicies.CANARY).statusCode()).isEqualTo(400);
    assertThat(Files.exists(tmp.resolve("x.yaml"))).isFalse();
  }

  @Test
  void validateJudgesWithoutChangingAnything() {
    String before = cp.version();
    Map<String, Object> bad = json(cp.post("/v1/validate?file=canary.yaml", SamplePolicies.CANARY_BROKEN));
    assertThat(bad).containsEntry("valid", false);
    assertThat(bad.get("errors")).asInstanceOf(InstanceOfAssertFactories.LIST).hasSize(1);

    Map<String, Object> good = json(cp.post("/v1/validate", SamplePolicies.CANARY));
    assertThat(good).containsEntry("valid", true).containsEntry("errors", List.of());
    assertThat(cp.version()).isEqualTo(before);
    assertThat(Files.exists(policies.resolve("canary.yaml"))).isFalse();
  }

  @Test
  void unknownPathsAre404AndWrongMethods405AsJson() {
    HttpResponse<String> missing = cp.get("/v1/nope");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(json(missing)).containsKeys("error", "hint");

    // exact paths: a prefix of a real one is not it
    assertThat(cp.get("/v1/snapshots").statusCode()).isEqualTo(404);

    HttpResponse<String> wrong = cp.get("/v1/register");
    assertThat(wrong.statusCode()).isEqualTo(405);
    assertThat(wrong.headers().firstValue("Allow")).hasValue("POST");
    assertThat(json(wrong)).containsKeys("error", "hint");

    HttpResponse<String> health = cp.get("/healthz");
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).isEqualTo("ok");
  }

  @Test
  void snapshotWaitIsParsedAndAPollWithoutVersionIsAnsweredAtOnce() {
    assertThat(cp.get("/v1/snapshot?wait=soon").statusCode()).isEqualTo(400);
    String v = cp.version();
    HttpResponse<String> r = cp.get("/v1/snapshot?version=" + v + "&wait=0");
    assertThat(r.statusCode()).isEqualTo(304);
    assertThat(r.headers().firstValue("X-Inmesh-Version")).hasValue(v);
    assertThat(cp.get("/v1/snapshot?version=" + v + "&wait=250ms").statusCode()).isEqualTo(304);
    assertThat(cp.get("/v1/snapshot?version=older&wait=30s").statusCode()).isEqualTo(200);

    HttpResponse<String> big =
        cp.send(
            HttpRequest.newBuilder(cp.uri("/v1/snapshot?agent=a&service=s&namespace=default"))
                .timeout(Duration.ofSeconds(5))
                .GET()
                .build());
    assertThat(big.statusCode()).isEqualTo(200);
    assertThat(big.headers().firstValue("X-Inmesh-Version")).hasValue(v);
  }
}
