package io.inmesh.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** INMESH_TOKEN and INMESH_CONTROL_CA, and what the start line says about identity. */
class IdentitySettingsTest {

  static String token(String ns, String sa) {
    String payload = "abcdefghijkl:" + ns + ":" + sa + ":4102444800";
    return "inmesh1." + Base64.getUrlEncoder().withoutPadding().encodeToString(payload.getBytes(StandardCharsets.UTF_8)) + ".sig";
  }

  static Settings settings(Map<String, String> env) {
    Map<String, String> e = new HashMap<>(env);
    e.putIfAbsent("INMESH_SERVICE", "pedido-service");
    return Settings.resolve(e, new Properties());
  }

  @Test
  void theStartLineNamesTheIdentityTheTokenAsksFor() {
    Settings s = settings(Map.of("INMESH_TOKEN", token("shop", "pedido-service"), "INMESH_CONTROL_URL", "http://127.0.0.9:15010"));
    assertThat(s.startLine("1", "2")).contains(" identity=ns/shop/sa/pedido-service (INMESH_TOKEN; certificate requested in the background) ");
  }

  @Test
  void aTokenForAnotherNamespaceIsWarnedAbout() {
    Settings s = settings(Map.of("INMESH_TOKEN", token("shop", "pedido-service")));
    assertThat(s.warnings).contains("INMESH_TOKEN is for namespace shop but INMESH_NAMESPACE is default");
    assertThat(settings(Map.of("INMESH_TOKEN", token("shop", "pedido-service"), "INMESH_NAMESPACE", "shop")).warnings).isEmpty();
  }

  @Test
  void withoutATokenTheStartLineSaysThereIsNoIdentity() {
    assertThat(settings(Map.of()).startLine("1", "2")).contains(" identity=none (no INMESH_TOKEN) ");
    assertThat(settings(Map.of("INMESH_TOKEN", "not-a-token")).identityText()).isEqualTo("unreadable INMESH_TOKEN");
  }

  @Test
  void anHttpsControlUrlWithoutItsCaIsWarnedAbout() {
    Settings s = settings(Map.of("INMESH_CONTROL_URL", "https://127.0.0.9:15012"));
    assertThat(s.controlCa).isNull();
    assertThat(s.warnings).contains("INMESH_CONTROL_URL is https:// but INMESH_CONTROL_CA is unset");
    Settings ok = settings(Map.of("INMESH_CONTROL_URL", "https://127.0.0.9:15012", "INMESH_CONTROL_CA", "/etc/inmesh/root.pem"));
    assertThat(ok.controlCa).isEqualTo("/etc/inmesh/root.pem");
    assertThat(ok.warnings).isEmpty();
  }
}
