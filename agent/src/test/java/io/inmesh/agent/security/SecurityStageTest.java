package io.inmesh.agent.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.agent.engine.ActiveSnapshot;
import io.inmesh.agent.engine.MeshEngine;
import io.inmesh.bootstrap.Attempt;
import io.inmesh.bootstrap.InboundTls;
import io.inmesh.bootstrap.OutboundRequest;
import io.inmesh.bootstrap.UpstreamTls;
import io.inmesh.launcher.Settings;
import io.inmesh.policy.identity.WorkloadIdentity;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * The secure stage's decisions, through the engine as adapters meet it ({@code Attempt.tls()},
 * {@code inboundTls}): auto mTLS (https://istio.io/latest/docs/tasks/security/authentication/authn-policy/#auto-mutual-tls),
 * DestinationRule {@code tls} modes, and PeerAuthentication per port with Istio's precedence
 * (https://istio.io/latest/docs/reference/config/security/peer_authentication/).
 */
class SecurityStageTest {
  static final String TD = "spiffe://cluster.local/ns/default/sa/";

  static final String SNAPSHOT = """
      {"version":"v","generation":1,"resources":[
       {"file":"pa.yaml","apiVersion":"security.istio.io/v1","kind":"PeerAuthentication","metadata":{"name":"default","namespace":"istio-system"},
        "spec":{"mtls":{"mode":"STRICT"}}},
       {"file":"pa.yaml","apiVersion":"security.istio.io/v1","kind":"PeerAuthentication","metadata":{"name":"plain","namespace":"default"},
        "spec":{"selector":{"matchLabels":{"app":"plain-svc"}},"mtls":{"mode":"DISABLE"}}},
       {"file":"pa.yaml","apiVersion":"security.istio.io/v1","kind":"PeerAuthentication","metadata":{"name":"ports","namespace":"default"},
        "spec":{"selector":{"matchLabels":{"app":"caller"}},"mtls":{"mode":"UNSET"},"portLevelMtls":{"9090":{"mode":"DISABLE"}}}},
       {"file":"dr.yaml","apiVersion":"networking.istio.io/v1","kind":"DestinationRule","metadata":{"name":"pinned","namespace":"default"},
        "spec":{"host":"pinned-svc","trafficPolicy":{"tls":{"mode":"ISTIO_MUTUAL","subjectAltNames":["spiffe://cluster.local/ns/default/sa/other"]}}}},
       {"file":"dr.yaml","apiVersion":"networking.istio.io/v1","kind":"DestinationRule","metadata":{"name":"off","namespace":"default"},
        "spec":{"host":"off-svc","trafficPolicy":{"tls":{"mode":"DISABLE"}}}}],
       "services":[
        {"name":"secure-svc","namespace":"default","endpoints":[{"address":"127.0.0.31","ports":[8080],"labels":{"app":"secure-svc"},"agent":"a",
          "identity":"spiffe://cluster.local/ns/default/sa/secure-svc"}]},
        {"name":"plain-svc","namespace":"default","endpoints":[{"address":"127.0.0.32","ports":[8080],"labels":{"app":"plain-svc"},"agent":"b",
          "identity":"spiffe://cluster.local/ns/default/sa/plain-svc"}]},
        {"name":"legacy-svc","namespace":"default","endpoints":[{"address":"127.0.0.33","ports":[8080],"labels":{"app":"legacy-svc"},"agent":"c"}]},
        {"name":"pinned-svc","namespace":"default","endpoints":[{"address":"127.0.0.34","ports":[8080],"labels":{"app":"pinned-svc"},"agent":"d",
          "identity":"spiffe://cluster.local/ns/default/sa/pinned-svc"}]},
        {"name":"off-svc","namespace":"default","endpoints":[{"address":"127.0.0.35","ports":[8080],"labels":{"app":"off-svc"},"agent":"e",
          "identity":"spiffe://cluster.local/ns/default/sa/off-svc"}]}]}
      """;

  record Req(String host) implements OutboundRequest {
    public String method() { return "GET"; }
    public String scheme() { return "http"; }
    public int port() { return -1; }
    public String path() { return "/"; }
    public String header(String name) { return null; }
  }

  /** An engine for workload {@code app=caller}; with a join token, it takes part in mTLS (its certificate is not there yet). */
  static MeshEngine engine(boolean token) {
    Map<String, String> env = new HashMap<>(Map.of("INMESH_SERVICE", "caller", "INMESH_CONTROL_URL", "http://127.0.0.1:1",
        "INMESH_STARTUP_WAIT", "100ms", "INMESH_CACHE_DIR", System.getProperty("java.io.tmpdir") + "/inmesh-security-stage-test"));
    if (token) {
      String claims = Base64.getUrlEncoder().withoutPadding().encodeToString("t1:default:caller:9999999999".getBytes(StandardCharsets.UTF_8));
      env.put("INMESH_TOKEN", "inmesh1." + claims + ".sig");
    }
    Settings settings = Settings.resolve(env, new Properties());
    MeshEngine e = new MeshEngine(settings);
    e.installSecurity(new WorkloadIdentity(settings));
    assertThat(e.apply(SNAPSHOT.getBytes(StandardCharsets.UTF_8), ActiveSnapshot.Source.CONTROL_PLANE).accepted()).isTrue();
    return e;
  }

  static UpstreamTls tls(MeshEngine e, String host) {
    Attempt a = e.outbound(new Req(host)).startAttempt();
    try {
      assertThat(a.address()).isNotNull();
      return a.tls();
    } finally {
      a.onEnd();
    }
  }

  @Test
  void autoMtlsGoesToEndpointsWithAnIdentityUnlessTheirPortIsDisable_autoMutualTls() {
    MeshEngine e = engine(true);
    assertThat(tls(e, "secure-svc")).isNotNull().extracting(UpstreamTls::expected).isEqualTo("[" + TD + "secure-svc]");
    assertThat(tls(e, "plain-svc")).as("the destination's PeerAuthentication is DISABLE").isNull();
    assertThat(tls(e, "legacy-svc")).as("no identity registered: not in the mesh's mTLS").isNull();
  }

  @Test
  void destinationRuleTlsModesOverrideAutoMtls() {
    MeshEngine e = engine(true);
    assertThat(tls(e, "off-svc")).as("tls DISABLE").isNull();
    assertThat(tls(e, "pinned-svc")).as("ISTIO_MUTUAL: its subjectAltNames, not the registry's").isNotNull()
        .extracting(UpstreamTls::expected).isEqualTo("[" + TD + "other]");
  }

  @Test
  void aWorkloadWithoutAJoinTokenSendsPlainText() {
    MeshEngine e = engine(false);
    assertThat(tls(e, "secure-svc")).isNull();
    assertThat(tls(e, "pinned-svc")).as("an explicit ISTIO_MUTUAL still asks for mTLS (and fails without a certificate)").isNotNull();
  }

  @Test
  void inboundModesFollowPeerAuthenticationAndFailClosedWithoutAnIdentity_peerAuthentication() {
    MeshEngine e = engine(true);
    // mesh-wide STRICT (root namespace), the workload policy leaves the mode UNSET: STRICT, and no certificate yet
    assertThat(e.inboundTls(new InetSocketAddress("127.0.0.1", 8080))).isEqualTo(InboundTls.REFUSE);
    // portLevelMtls DISABLE on 9090
    assertThat(e.inboundTls(new InetSocketAddress("127.0.0.1", 9090))).isEqualTo(InboundTls.PLAIN);
    // the agent's own ports are never subject to it
    for (int port : new int[] {15000, 15020, 15090}) {
      assertThat(e.inboundTls(new InetSocketAddress("127.0.0.1", port))).isEqualTo(InboundTls.PLAIN);
    }
  }
}
