package io.inmesh.bench.proc;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CpusTest {

  @Test
  void countsTheKernelsCpuList() {
    assertThat(Cpus.count("0-1")).isEqualTo(2);
    assertThat(Cpus.count("0")).isEqualTo(1);
    assertThat(Cpus.count("0,2-3,7")).isEqualTo(4);
    assertThat(Cpus.count(Cpus.onlineList())).isPositive();
  }
}
