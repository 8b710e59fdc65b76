package io.inmesh.bench.proc;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProcStatTest {

  @Test
  void cpuTicksAreUtimePlusStime_fields14And15() {
    String stat = "4242 (java) S 1 4242 4242 0 -1 4194560 9000 0 12 0 1234 567 0 0 20 0 31 0 12345 3000000000 40000 18446744073709551615";
    assertThat(ProcStat.cpuTicks(stat)).isEqualTo(1234 + 567);
  }

  @Test
  void aCommandNameWithSpacesAndParenthesesDoesNotShiftTheFields() {
    String stat = "77 (my (weird) proc name) R 1 77 77 0 -1 4194304 10 0 0 0 50 7 0 0 20 0 1 0 100 1000 10 18446744073709551615";
    assertThat(ProcStat.cpuTicks(stat)).isEqualTo(57);
  }

  @Test
  void vmRssIsReadFromStatus_andMissingIsMinusOne() {
    String status = "Name:\tjava\nVmPeak:\t 3000000 kB\nVmRSS:\t  123456 kB\nRssAnon:\t 100000 kB\n";
    assertThat(ProcStat.vmRssKb(status)).isEqualTo(123456);
    assertThat(ProcStat.vmRssKb("Name:\tzombie\nState:\tZ (zombie)\n")).isEqualTo(-1);
  }

  @Test
  void thisProcessHasCpuTimeAndMemory() {
    long pid = ProcessHandle.current().pid();
    assertThat(ProcStat.cpuMicros(pid)).isPositive();
    assertThat(ProcStat.rssKb(pid)).isPositive();
    assertThat(ProcStat.cpuMicros(Long.MAX_VALUE)).isEqualTo(-1);
  }
}
