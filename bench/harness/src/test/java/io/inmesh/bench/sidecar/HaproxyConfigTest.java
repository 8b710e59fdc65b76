package io.inmesh.bench.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HaproxyConfigTest {
  private final HaproxyConfig.Tls tls = new HaproxyConfig.Tls("/pki/ca.pem", "/pki/outbound.pem", "/pki/inbound.pem", "backend-service");

  @Test
  void plainPairIsHttpKeepAliveFromOutboundToInboundToApp() {
    String out = HaproxyConfig.outbound("127.0.0.63", 15001, "127.0.0.64", 15006, null);
    String in = HaproxyConfig.inbound("127.0.0.64", 15006, "127.0.0.62", 8080, null);
    assertThat(out).contains("mode http", "option http-keep-alive", "bind 127.0.0.63:15001", "server inbound 127.0.0.64:15006\n").doesNotContain(" ssl ");
    assertThat(in).contains("bind 127.0.0.64:15006\n", "server app 127.0.0.62:8080");
  }

  @Test
  void mtlsLegPresentsAndVerifiesCertificatesBothWays() {
    String out = HaproxyConfig.outbound("127.0.0.73", 15001, "127.0.0.74", 15006, tls);
    String in = HaproxyConfig.inbound("127.0.0.74", 15006, "127.0.0.72", 8080, tls);
    assertThat(out).contains("server inbound 127.0.0.74:15006 ssl verify required ca-file /pki/ca.pem crt /pki/outbound.pem", "verifyhost backend-service");
    assertThat(in).contains("bind 127.0.0.74:15006 ssl crt /pki/inbound.pem ca-file /pki/ca.pem verify required");
    // the inbound proxy talks plain HTTP to its own app, as a sidecar does
    assertThat(in).contains("server app 127.0.0.72:8080\n");
  }

  @Test
  void anInboundProxyWithAStatsSocketExposesItInItsGlobalSection() {
    String in = HaproxyConfig.inbound("127.0.0.74", 15006, "127.0.0.72", 8080, tls, "/run/in.sock");
    assertThat(in.substring(0, in.indexOf("defaults"))).contains("stats socket /run/in.sock mode 600 level user\n");
    assertThat(HaproxyConfig.inbound("127.0.0.74", 15006, "127.0.0.72", 8080, tls)).doesNotContain("stats socket");
  }
}
