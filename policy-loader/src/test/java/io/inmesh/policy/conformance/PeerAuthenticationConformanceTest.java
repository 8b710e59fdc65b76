package io.inmesh.policy.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.policy.Policies;
import io.inmesh.policy.compile.MeshSnapshot;
import io.inmesh.policy.compile.MtlsPolicy;
import io.inmesh.policy.compile.RouteTable;
import io.inmesh.policy.compile.Workload;
import io.inmesh.policy.model.MtlsMode;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Istio's PeerAuthentication precedence: workload > namespace > mesh (root namespace), UNSET inherits. */
class PeerAuthenticationConformanceTest {

  static final String PA_REF = "https://istio.io/latest/docs/reference/config/security/peer_authentication/";
  static final String CONCEPTS = "https://istio.io/latest/docs/concepts/security/#peer-authentication";

  static final Workload FINANCE = new Workload("finance", "foo", Map.of("app", "finance"));

  static String pa(String name, String namespace, String spec) {
    return """
        ---
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: %s, namespace: %s}
        spec:
        %s
        """
        .formatted(name, namespace, spec.indent(2));
  }

  static final String MESH_STRICT = pa("default", "istio-system", "mtls: {mode: STRICT}");
  static final String NS_PERMISSIVE = pa("default", "foo", "mtls: {mode: PERMISSIVE}");
  static final String NS_UNSET = pa("default", "foo", "mtls: {mode: UNSET}");
  static final String WL_STRICT = pa("finance", "foo", "selector: {matchLabels: {app: finance}}\nmtls: {mode: STRICT}");
  static final String WL_PORT =
      pa("finance", "foo", "selector: {matchLabels: {app: finance}}\nmtls: {mode: UNSET}\nportLevelMtls:\n  8080: {mode: DISABLE}\n  9090: {mode: UNSET}");
  static final String ROOT_WITH_SELECTOR = pa("root-sel", "istio-system", "selector: {matchLabels: {app: finance}}\nmtls: {mode: DISABLE}");
  static final String OTHER_WORKLOAD = pa("other", "foo", "selector: {matchLabels: {app: productpage}}\nmtls: {mode: DISABLE}");

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of(Named.of("nothing set: PERMISSIVE (" + PA_REF + "#PeerAuthentication-MutualTLS-Mode)", ""), MtlsMode.PERMISSIVE, 8080, MtlsMode.PERMISSIVE),
        Arguments.of(Named.of("the mesh-wide policy applies (" + CONCEPTS + ")", MESH_STRICT), MtlsMode.STRICT, 8080, MtlsMode.STRICT),
        Arguments.of(Named.of("namespace overrides mesh (" + CONCEPTS + ")", MESH_STRICT + NS_PERMISSIVE), MtlsMode.PERMISSIVE, 8080, MtlsMode.PERMISSIVE),
        Arguments.of(Named.of("workload overrides namespace (" + PA_REF + ")", NS_PERMISSIVE + WL_STRICT), MtlsMode.STRICT, 8080, MtlsMode.STRICT),
        Arguments.of(Named.of("UNSET inherits from the parent (" + PA_REF + "#PeerAuthentication-MutualTLS-Mode)", MESH_STRICT + NS_UNSET), MtlsMode.STRICT, 8080, MtlsMode.STRICT),
        Arguments.of(Named.of("portLevelMtls: the port's mode, UNSET ports inherit (" + PA_REF + ")", MESH_STRICT + WL_PORT), MtlsMode.STRICT, 8080, MtlsMode.DISABLE),
        Arguments.of(Named.of("portLevelMtls: an UNSET port takes the workload's mode (" + PA_REF + ")", MESH_STRICT + WL_PORT), MtlsMode.STRICT, 9090, MtlsMode.STRICT),
        Arguments.of(Named.of("a selector in the root namespace is ignored (" + PA_REF + ")", MESH_STRICT + ROOT_WITH_SELECTOR), MtlsMode.STRICT, 8080, MtlsMode.STRICT),
        Arguments.of(Named.of("a selector for another workload does not apply (" + PA_REF + ")", NS_PERMISSIVE + OTHER_WORKLOAD), MtlsMode.PERMISSIVE, 8080, MtlsMode.PERMISSIVE));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void precedence(String yaml, MtlsMode workloadMode, int port, MtlsMode portMode) {
    MtlsPolicy p = RouteTable.compile(new MeshSnapshot("v", 1, yaml.isEmpty() ? java.util.List.of() : Policies.parse(yaml), Map.of()), FINANCE).mtls();
    assertThat(p.mode()).isEqualTo(workloadMode);
    assertThat(p.modeFor(port)).isEqualTo(portMode);
  }
}
