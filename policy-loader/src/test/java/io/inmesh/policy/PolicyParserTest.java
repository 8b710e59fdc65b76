package io.inmesh.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.policy.diag.Diagnostic;
import io.inmesh.policy.model.DestinationRule;
import io.inmesh.policy.model.VirtualService;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class PolicyParserTest {

  static String resource(String path) throws IOException {
    try (InputStream in = PolicyParserTest.class.getResourceAsStream(path)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void seedCanaryIsAcceptedWithWarningsThatSayWhatToDo() throws IOException {
    ParseResult r = new PolicyParser().parseYaml("seed/canary.yaml", resource("/seed/canary.yaml"));
    assertThat(r.hasErrors()).as(r.diagnostics().toString()).isFalse();
    assertThat(r.resources()).hasSize(2);
    VirtualService vs = (VirtualService) r.resources().get(0).resource();
    assertThat(vs.hosts()).containsExactly("usuario-service");
    assertThat(vs.ref().toString()).isEqualTo("VirtualService default/usuario-service-routing");
    DestinationRule dr = (DestinationRule) r.resources().get(1).resource();
    assertThat(dr.subset("v2").labels()).containsEntry("version", "v2");

    List<String> messages = r.diagnostics().stream().map(Diagnostic::format).toList();
    assertThat(messages)
        .anySatisfy(m -> assertThat(m).startsWith("seed/canary.yaml:7: warning: VirtualService default/usuario-service-routing: ")
            .contains("spec.hosts is missing").contains("infers [usuario-service]"));
    // the seed's lone destinations with weight 10 and 90: Istio gives them 100%
    assertThat(messages)
        .anySatisfy(m -> assertThat(m).contains(":17: warning:").contains("spec.http[0].route[0].weight").contains("lone destination gets 100%"));
    // circuitBreaker is not an Istio field: the warning names the one Istio has
    assertThat(messages)
        .anySatisfy(m -> assertThat(m).contains(":44: warning: DestinationRule default/usuario-service-subsets")
            .contains("spec.subsets[1].trafficPolicy.circuitBreaker").contains("outlierDetection"));
  }

  @Test
  void typeErrorsNameFileLineResourceAndFieldPath() {
    String yaml =
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: usuario-service-routing
        spec:
          hosts: [usuario-service]
          http:
          - route:
            - destination: {host: usuario-service, subset: v1}
              weight: 50
            - destination: {host: usuario-service, subset: v2}
              weight: "a lot"
        """;
    ParseResult r = new PolicyParser().parseYaml("policies/usuario.yaml", yaml);
    assertThat(r.hasErrors()).isTrue();
    assertThat(r.resources().get(0).resource()).isNull();
    assertThat(r.diagnostics().stream().map(Diagnostic::format))
        .contains(
            "policies/usuario.yaml:12: error: VirtualService default/usuario-service-routing:"
                + " spec.http[0].route[1].weight: must be an integer 0..100, got \"a lot\"");
  }

  @Test
  void unquotedTrueForAStringFieldIsAnErrorWithAHint() {
    String yaml =
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: x}
        spec:
          hosts: [a]
          http:
          - match:
            - headers:
                x-canary:
                  exact: true
            route:
            - destination: {host: a}
        """;
    ParseResult r = new PolicyParser().parseYaml("x.yaml", yaml);
    assertThat(r.diagnostics())
        .anySatisfy(d -> {
          assertThat(d.isError()).isTrue();
          assertThat(d.path()).isEqualTo("spec.http[0].match[0].headers.x-canary.exact");
          assertThat(d.line()).isEqualTo(10);
          assertThat(d.hint()).contains("quote it: \"true\"");
        });
  }

  @Test
  void yamlSyntaxErrorsRejectTheFileWithALine() {
    ParseResult r = new PolicyParser().parseYaml("bad.yaml", "apiVersion: v1\nkind: [unclosed\nspec: {}\n");
    assertThat(r.hasErrors()).isTrue();
    assertThat(r.diagnostics().get(0).format()).startsWith("bad.yaml:").contains("YAML syntax error");
  }

  @Test
  void wrongApiVersionAndInvalidRegexAreErrors() {
    String yaml =
        """
        apiVersion: security.istio.io/v1
        kind: VirtualService
        metadata: {name: x, namespace: shop}
        spec:
          hosts: [a]
          http:
          - match: [{uri: {regex: "(unclosed"}}]
            route: [{destination: {host: a}}]
        """;
    List<String> m = new PolicyParser().parseYaml("x.yaml", yaml).diagnostics().stream().map(Diagnostic::format).toList();
    assertThat(m).anySatisfy(s -> assertThat(s).contains("x.yaml:1: error: VirtualService shop/x: apiVersion: apiVersion security.istio.io/v1 does not serve kind VirtualService"));
    assertThat(m).anySatisfy(s -> assertThat(s).contains("x.yaml:7: error").contains("spec.http[0].match[0].uri.regex: invalid regex"));
  }

  @Test
  void unknownFieldsAreWarningsNotErrors() {
    String yaml =
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: x}
        spec:
          host: a
          someFutureField: 1
          subsets: [{name: v1, labels: {version: v1}}]
        """;
    ParseResult r = new PolicyParser().parseYaml("x.yaml", yaml);
    assertThat(r.hasErrors()).isFalse();
    assertThat(r.diagnostics()).anySatisfy(d -> assertThat(d.format()).contains("x.yaml:6: warning").contains("unknown field \"someFutureField\""));
  }

  @Test
  void duplicateKeysAreErrors() {
    ParseResult r = new PolicyParser().parseYaml("d.yaml", "apiVersion: a\napiVersion: b\n");
    assertThat(r.hasErrors()).isTrue();
    assertThat(r.diagnostics().get(0).format()).contains("d.yaml:2: error").contains("duplicate key \"apiVersion\" (first at line 1)");
  }
}
