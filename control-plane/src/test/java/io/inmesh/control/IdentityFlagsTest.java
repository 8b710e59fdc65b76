package io.inmesh.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.control.ca.IdentityAuthority;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The identity flags, and what the control plane says at start about identities. */
class IdentityFlagsTest {

  @TempDir Path tmp;

  @Test
  void identitiesNeedADataDirTheUserNames() {
    ControlPlaneFlags.Run without = (ControlPlaneFlags.Run) ControlPlaneFlags.parse("--policy-dir", "p");
    assertThat(without.identity()).isNull();
    ControlPlaneFlags.Run with =
        (ControlPlaneFlags.Run) ControlPlaneFlags.parse("--policy-dir", "p", "--data-dir", "d", "--listen-tls", "127.0.0.9:15012", "--cert-ttl", "1m");
    IdentityAuthority.Settings s = with.identity();
    assertThat(s.trustDomain()).isEqualTo("cluster.local");
    assertThat(s.certTtl()).isEqualTo(Duration.ofMinutes(1));
    assertThat(s.tlsNames()).containsExactly("127.0.0.9");
    assertThat(((ControlPlaneFlags.Run) ControlPlaneFlags.parse("--policy-dir", "p", "--data-dir", "d")).identity().certTtl())
        .isEqualTo(Duration.ofHours(24));
  }

  @Test
  void badIdentityFlagsExit2WithTheReason() {
    String[][] bad = {
      {"--policy-dir", "p", "--data-dir", "d", "--ca-cert", "c.pem"},
      {"--policy-dir", "p", "--listen-tls", "127.0.0.9:15012"},
      {"--policy-dir", "p", "--data-dir", "d", "--trust-domain", "Not_A_Domain"},
      {"--policy-dir", "p", "--data-dir", "d", "--cert-ttl", "1s"},
    };
    String[] reasons = {"--ca-cert and --ca-key go together", "--listen-tls needs --data-dir", "is not a valid trust domain", "--cert-ttl must be at least"};
    for (int i = 0; i < bad.length; i++) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code = ControlPlaneMain.run(bad[i], new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
      assertThat(code).isEqualTo(2);
      assertThat(err.toString(StandardCharsets.UTF_8)).contains(reasons[i]);
    }
  }

  @Test
  void withoutADataDirTheControlPlaneSaysItIssuesNoIdentities() throws Exception {
    List<String> log = new ArrayList<>();
    ControlPlaneConfig config =
        new ControlPlaneConfig("127.0.0.9", 0, tmp.resolve("p"), tmp.resolve("d"), "default", Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ZERO);
    try (ControlPlane plane = ControlPlane.start(config, new EventLog(log::add))) {
      assertThat(log).anyMatch(l -> l.contains("identity: off (no --data-dir): no workload certificates are issued"));
      assertThat(plane.tlsUri()).isNull();
    }
  }
}
