package io.inmesh.policy.validate;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.policy.ParseResult;
import io.inmesh.policy.Policies;
import io.inmesh.policy.diag.Diagnostic;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Checks that need the whole policy set, as ./inmesh validate and the control plane run them. */
class PolicySetValidatorTest {

  static List<String> findings(String... fileThenYaml) {
    java.util.ArrayList<ParseResult> files = new java.util.ArrayList<>();
    for (int i = 0; i < fileThenYaml.length; i += 2) {
      ParseResult r = Policies.parseResult(fileThenYaml[i], fileThenYaml[i + 1]);
      assertThat(r.hasErrors()).as(r.diagnostics().toString()).isFalse();
      files.add(r);
    }
    return PolicySetValidator.validateFiles(files).stream().map(Diagnostic::format).toList();
  }

  static final String VS_REVIEWS =
      """
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata: {name: %s}
      spec:
        hosts: [%s]
        http:
        - route:
          - destination: {host: reviews, subset: %s}
      """;

  static final String DR_REVIEWS =
      """
      apiVersion: networking.istio.io/v1
      kind: DestinationRule
      metadata: {name: reviews}
      spec:
        host: reviews.default.svc.cluster.local
        subsets:
        - {name: v1, labels: {version: v1}}
        - {name: v2, labels: {version: v2}}
      """;

  @Test
  void twoVirtualServicesForOneHostInDifferentFiles_theFirstByFileNameWinsAndTheMessageSaysSo() {
    // given in reverse order: the validator sorts by file name
    List<String> f =
        findings(
            "b.yaml", VS_REVIEWS.formatted("second", "reviews.default.svc.cluster.local", "v2"),
            "a.yaml", VS_REVIEWS.formatted("first", "reviews", "v1"),
            "c.yaml", DR_REVIEWS);
    assertThat(f)
        .containsExactly(
            "b.yaml:5: warning: VirtualService default/second: spec.hosts[0]: host reviews.default.svc.cluster.local is also routed by"
                + " VirtualService default/first (a.yaml:1); one VirtualService per host applies to sidecars: the first by file name"
                + " wins, default/first, and this one is ignored for reviews.default.svc.cluster.local"
                + " (hint: merge the rules into one VirtualService)");
  }

  @Test
  void virtualServicesExportedToDisjointNamespacesDoNotCompete() {
    String a = VS_REVIEWS.formatted("first", "reviews.default.svc.cluster.local", "v1").replace("http:", "exportTo: [\".\"]\n  http:");
    String b = VS_REVIEWS.formatted("second", "reviews.default.svc.cluster.local", "v2").replace("metadata: {name: second}", "metadata: {name: second, namespace: web}").replace("http:", "exportTo: [\".\"]\n  http:");
    assertThat(findings("a.yaml", a, "b.yaml", b, "c.yaml", DR_REVIEWS)).noneMatch(m -> m.contains("is also routed by"));
  }

  @Test
  void aSubsetReferencedButNotDefinedPointsAtTheDestination() {
    List<String> f = findings("a.yaml", VS_REVIEWS.formatted("r", "reviews", "v3"), "b.yaml", DR_REVIEWS);
    assertThat(f)
        .singleElement()
        .satisfies(
            m ->
                assertThat(m)
                    .startsWith("a.yaml:8: warning: VirtualService default/r: spec.http[0].route[0].destination.subset: subset v3 of")
                    .contains("is not defined (DestinationRule default/reviews defines v1, v2); calls routed there get 503"));
    assertThat(findings("a.yaml", VS_REVIEWS.formatted("r", "reviews", "v1"))).singleElement().asString().contains("no DestinationRule for reviews.default.svc.cluster.local defines subsets");
  }

  @Test
  void theSameObjectTwiceIsAnError() {
    List<String> f = findings("a.yaml", DR_REVIEWS, "b.yaml", DR_REVIEWS);
    assertThat(f).anySatisfy(m -> assertThat(m).startsWith("b.yaml:3: error: DestinationRule default/reviews: metadata.name: DestinationRule default/reviews is already defined at a.yaml:1"));
  }

  @Test
  void twoDestinationRulesForOneHostMergeWithAWarning() {
    List<String> f = findings("a.yaml", DR_REVIEWS, "b.yaml", DR_REVIEWS.replace("name: reviews}", "name: reviews-2}"));
    assertThat(f).anySatisfy(m -> assertThat(m).contains("b.yaml:5: warning: DestinationRule default/reviews-2: spec.host: DestinationRule default/reviews (a.yaml:1) is for the same host in this namespace: they merge").contains("its subsets [v1, v2] win"));
  }

  @Test
  void conflictingPeerAuthenticationsForOneWorkload() {
    String pa =
        """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: %s, namespace: foo}
        spec:
          selector: {matchLabels: %s}
          mtls: {mode: %s}
        """;
    List<String> f = findings("a.yaml", pa.formatted("strict", "{app: finance}", "STRICT"), "b.yaml", pa.formatted("plain", "{version: v1}", "DISABLE"));
    assertThat(f)
        .singleElement()
        .asString()
        .startsWith("b.yaml:5: warning: PeerAuthentication foo/plain: spec.selector: conflicts with PeerAuthentication foo/strict (a.yaml:1): a workload labelled {app=finance, version=v1} is selected by both, with mtls STRICT there and DISABLE here");
    // disjoint selectors do not conflict
    assertThat(findings("a.yaml", pa.formatted("strict", "{app: finance}", "STRICT"), "b.yaml", pa.formatted("plain", "{app: other}", "DISABLE"))).isEmpty();
    // two namespace-wide policies
    String ns = "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: %s, namespace: foo}\nspec: {mtls: {mode: STRICT}}\n";
    assertThat(findings("a.yaml", ns.formatted("one"), "b.yaml", ns.formatted("two"))).singleElement().asString().contains("a second namespace-wide PeerAuthentication in foo");
  }

  @Test
  void aSelectorInTheRootNamespaceIsReportedAsIgnored() {
    String yaml =
        """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: x, namespace: mesh-root}
        spec: {selector: {matchLabels: {app: a}}, mtls: {mode: STRICT}}
        ---
        apiVersion: inmesh.dev/v1alpha1
        kind: MeshConfig
        metadata: {name: mesh}
        spec: {rootNamespace: mesh-root}
        """;
    assertThat(findings("a.yaml", yaml)).singleElement().asString().contains("a PeerAuthentication with a selector in the root namespace (mesh-root) is ignored (Istio)");
  }

  @Test
  void aSecondMeshConfigIsAnError() {
    String mc = "apiVersion: inmesh.dev/v1alpha1\nkind: MeshConfig\nmetadata: {name: %s}\nspec: {}\n";
    assertThat(findings("a.yaml", mc.formatted("one"), "b.yaml", mc.formatted("two"))).singleElement().asString().startsWith("b.yaml:2: error: MeshConfig default/two: kind: a second MeshConfig (the first is at a.yaml:1)");
  }

  @Test
  void aMissingDelegateIsReported() {
    String root =
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: root}
        spec:
          hosts: [reviews]
          http:
          - delegate: {name: nowhere}
        """;
    assertThat(findings("a.yaml", root)).singleElement().asString().contains("spec.http[0].delegate: delegate VirtualService default/nowhere is not defined; Istio skips this rule");
  }

  @Test
  void theSeedIsValidWithoutCrossResourceFindings() throws Exception {
    assertThat(findings("seed/canary.yaml", Policies.resource("/seed/canary.yaml"))).isEmpty();
  }
}
