package io.inmesh.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ControlPlaneFlagsTest {

  @Test
  void defaults() {
    ControlPlaneConfig c = run("--policy-dir", "./policies");
    assertThat(c.listenHost()).isEqualTo("127.0.0.1");
    assertThat(c.listenPort()).isEqualTo(15010);
    assertThat(c.policyDir()).isEqualTo(Path.of("./policies"));
    assertThat(c.dataDir())
        .isEqualTo(Path.of(System.getProperty("java.io.tmpdir"), "inmesh-control-127.0.0.1_15010"));
    assertThat(c.namespace()).isEqualTo("default");
    assertThat(c.heartbeat()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.ttl()).isEqualTo(Duration.ofSeconds(15));
    assertThat(c.warmup()).isEqualTo(Duration.ofSeconds(7));
  }

  @Test
  void everyFlag() {
    ControlPlaneConfig c =
        run(
            "--listen", "127.0.0.9:15011", "--policy-dir", "/p", "--data-dir", "/d", "--namespace", "shop",
            "--heartbeat", "500ms", "--ttl=3");
    assertThat(c.listenHost()).isEqualTo("127.0.0.9");
    assertThat(c.listenPort()).isEqualTo(15011);
    assertThat(c.dataDir()).isEqualTo(Path.of("/d"));
    assertThat(c.namespace()).isEqualTo("shop");
    assertThat(c.heartbeat()).isEqualTo(Duration.ofMillis(500));
    assertThat(c.ttl()).isEqualTo(Duration.ofSeconds(3));
    assertThat(c.warmup()).isEqualTo(Duration.ofMillis(2500));
  }

  @Test
  void badFlagsExit2WithTheReasonAndTheUsage() {
    String[][] bad = {
      {},
      {"--policy-dir"},
      {"--policy-dir", "p", "--bogus", "x"},
      {"--policy-dir", "p", "--bogus"},
      {"--policy-dir", "p", "--listen", "15010"},
      {"--policy-dir", "p", "--listen", "127.0.0.1:http"},
      {"--policy-dir", "p", "--listen", "127.0.0.1:70000"},
      {"--policy-dir", "p", "--ttl", "soon"},
      {"--policy-dir", "p", "--heartbeat", "10s", "--ttl", "5s"},
      {"--policy-dir", "p", "--namespace", "Not_A_Namespace"},
      {"policies"},
    };
    for (String[] args : bad) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code = ControlPlaneMain.run(args, new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
      String printed = err.toString(StandardCharsets.UTF_8);
      assertThat(code).as(String.join(" ", args)).isEqualTo(2);
      assertThat(printed).startsWith("inmesh-control: error: ").contains("usage: java -jar inmesh-control.jar");
    }
    assertThat(((ControlPlaneFlags.Invalid) ControlPlaneFlags.parse("--policy-dir", "p", "--bogus", "x")).message())
        .isEqualTo("unknown option --bogus");
    assertThat(((ControlPlaneFlags.Invalid) ControlPlaneFlags.parse()).message()).contains("--policy-dir is required");
  }

  @Test
  void helpPrintsUsageAndExits0() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code = ControlPlaneMain.run(new String[] {"--help"}, new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
    assertThat(code).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("--listen HOST:PORT").contains("--ttl DUR");
  }

  @Test
  void durations() {
    assertThat(Durations.parse("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Durations.parse("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(Durations.parse("7")).isEqualTo(Duration.ofSeconds(7));
    assertThat(Durations.parse("1.5")).isEqualTo(Duration.ofMillis(1500));
    assertThat(Durations.seconds(Duration.ofSeconds(5))).isEqualTo(5L);
    assertThat(Durations.seconds(Duration.ofMillis(500))).isEqualTo(0.5);
  }

  private static ControlPlaneConfig run(String... args) {
    ControlPlaneFlags.Outcome o = ControlPlaneFlags.parse(args);
    assertThat(o).isInstanceOf(ControlPlaneFlags.Run.class);
    return ((ControlPlaneFlags.Run) o).config();
  }
}
