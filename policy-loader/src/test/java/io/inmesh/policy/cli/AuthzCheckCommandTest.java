package io.inmesh.policy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code inmesh authz check} on Istio's "Authorization on HTTP traffic" task
 * (https://istio.io/latest/docs/tasks/security/authorization/authz-http/): allow-nothing, then
 * the viewer policies one by one, as the task applies them.
 */
class AuthzCheckCommandTest {
  @TempDir static Path dir;

  @BeforeAll
  static void policies() throws Exception {
    Files.writeString(dir.resolve("bookinfo.yaml"), """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: allow-nothing, namespace: default}
        spec: {}
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: productpage-viewer, namespace: default}
        spec:
          selector: {matchLabels: {app: productpage}}
          action: ALLOW
          rules:
          - to:
            - operation:
                methods: ["GET"]
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: details-viewer, namespace: default}
        spec:
          selector: {matchLabels: {app: details}}
          action: ALLOW
          rules:
          - from:
            - source:
                principals: ["cluster.local/ns/default/sa/bookinfo-productpage"]
            to:
            - operation:
                methods: ["GET"]
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: deny-admin, namespace: default}
        spec:
          selector: {matchLabels: {app: productpage}}
          action: DENY
          rules:
          - to:
            - operation:
                paths: ["/admin*"]
        """);
  }

  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<String> all = new ArrayList<>(List.of("check", "--policy-dir", dir.toString()));
    all.addAll(List.of(args));
    int code = AuthzCheckCommand.run(all.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @ParameterizedTest(name = "{0} → {1} {2} {3}: {4}")
  @CsvSource({
    "none, productpage, GET, /productpage, allow, default/productpage-viewer rule 0",
    "none, productpage, POST, /productpage, deny, ",
    "none, productpage, GET, /admin/../admin, deny, default/deny-admin rule 0",
    "none, details, GET, /details/0, deny, ",
    "cluster.local/ns/default/sa/bookinfo-productpage, details, GET, /details/0, allow, default/details-viewer rule 0",
    "spiffe://cluster.local/ns/default/sa/bookinfo-productpage, details, GET, /details/0, allow, default/details-viewer rule 0",
    "cluster.local/ns/default/sa/bookinfo-productpage, details, POST, /details/0, deny, ",
    "cluster.local/ns/default/sa/sleep, ratings, GET, /ratings/0, deny, ",
  })
  void theTaskPageDecidesAsIstioDocumentsIt(String from, String to, String method, String path, String decision, String policy) {
    Run r = run("--from", from, "--to", to, "--method", method, "--path", path);
    assertThat(r.out.lines().findFirst().orElse("")).as(r.out + r.err).isEqualTo(decision);
    assertThat(r.code).isEqualTo(decision.equals("allow") ? 0 : 1);
    if (policy != null) {
      assertThat(r.out).contains("policy: " + policy);
    }
  }

  @org.junit.jupiter.api.Test
  void jsonForScriptsAndUsageErrors() {
    Run r = run("--from", "none", "--to", "details", "--format", "json");
    assertThat(r.out).contains("\"decision\" : \"deny\"").contains("\"reason\" : \"no ALLOW policy matched\"");
    Run bad = run("--to", "details");
    assertThat(bad.code).isEqualTo(2);
    assertThat(bad.err).contains("--policy-dir, --from and --to are required");
  }
}
