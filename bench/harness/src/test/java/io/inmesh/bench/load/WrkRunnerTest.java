package io.inmesh.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class WrkRunnerTest {

  @Test
  void readsRequestsDurationRateAndErrors() {
    String out =
        """
        Running 4s test @ http://127.0.0.11:8080/usuarios/1
          1 threads and 16 connections
          Thread Stats   Avg      Stdev     Max   +/- Stdev
            Latency     2.11ms    1.02ms  21.30ms   90.12%
            Req/Sec     7.62k   412.11     8.10k    80.00%
          30412 requests in 4.01s, 5.63MB read
          Socket errors: connect 0, read 2, write 0, timeout 1
          Non-2xx or 3xx responses: 5
        Requests/sec:   7584.04
        Transfer/sec:      1.40MB
        """;
    WrkRunner.WrkResult r = WrkRunner.parse(out);
    assertThat(r.requests()).isEqualTo(30412);
    assertThat(r.seconds()).isEqualTo(4.01);
    assertThat(r.requestsPerSecond()).isEqualTo(7584.04);
    assertThat(r.socketErrors()).isEqualTo(3);
    assertThat(r.non2xx()).isEqualTo(5);
  }

  @Test
  void aCleanRunHasNoErrors_andTheCommandIsPinnedWhenAsked() {
    WrkRunner.WrkResult r = WrkRunner.parse("  100 requests in 500.00ms, 1KB read\nRequests/sec:    200.00\n");
    assertThat(r.seconds()).isEqualTo(0.5);
    assertThat(r.socketErrors()).isZero();
    assertThat(r.non2xx()).isZero();
    assertThat(new WrkRunner(List.of("taskset", "-c", "1")).command("http://x/", 16, 4))
        .containsExactly("taskset", "-c", "1", "wrk", "-t1", "-c16", "-d4s", "--timeout", "5s", "http://x/");
  }
}
