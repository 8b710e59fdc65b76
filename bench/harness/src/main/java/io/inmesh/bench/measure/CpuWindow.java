package io.inmesh.bench.measure;

import io.inmesh.bench.proc.Proc;
import io.inmesh.bench.proc.ProcStat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** utime+stime deltas of a set of processes (and of this harness: the load generator) over a window. */
public final class CpuWindow {
  private final List<Proc> procs;
  private final Map<Proc, Long> before = new LinkedHashMap<>();
  private final long selfBefore;

  private CpuWindow(List<Proc> procs) {
    this.procs = procs;
    for (Proc p : procs) {
      before.put(p, ProcStat.cpuMicros(p.pid()));
    }
    selfBefore = ProcStat.cpuMicros(ProcessHandle.current().pid());
  }

  public static CpuWindow begin(List<Proc> procs) {
    return new CpuWindow(procs);
  }

  /** CPU µs per role over the window (roles with several processes are summed), plus "generator". */
  public Map<String, Long> end() {
    Map<String, Long> out = new LinkedHashMap<>();
    for (Proc p : procs) {
      long after = ProcStat.cpuMicros(p.pid());
      long b = before.get(p);
      out.merge(p.role().label, after < 0 || b < 0 ? 0 : after - b, Long::sum);
    }
    out.put("generator", ProcStat.cpuMicros(ProcessHandle.current().pid()) - selfBefore);
    return out;
  }
}
