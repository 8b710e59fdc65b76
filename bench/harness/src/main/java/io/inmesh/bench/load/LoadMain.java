package io.inmesh.bench.load;

import java.net.InetAddress;

/**
 * The load generators on their own, for trying a service by hand:
 * {@code java -cp inmesh-bench-all.jar io.inmesh.bench.load.LoadMain HOST PORT PATH RATE SECONDS [CONNECTIONS]}
 * runs the open-loop generator (RATE 0: the sequential light-load probe) and prints percentiles.
 */
public final class LoadMain {
  private LoadMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 5) {
      System.err.println("usage: LoadMain HOST PORT PATH RATE SECONDS [CONNECTIONS]   (RATE 0 = sequential)");
      System.exit(2);
    }
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    String path = args[2];
    double rate = Double.parseDouble(args[3]);
    double seconds = Double.parseDouble(args[4]);
    int conns = args.length > 5 ? Integer.parseInt(args[5]) : 8;
    InetAddress local = InetAddress.getByName(io.inmesh.bench.mode.Topology.GENERATOR_ADDRESS);
    LoadResult r =
        rate <= 0
            ? new SequentialProbe(host, port, path, local).run(seconds, 10_000_000)
            : new OpenLoopGenerator(host, port, path, local).run(rate, seconds, conns, 0, 5);
    System.out.printf("completed %d (ok %d, non-2xx %d, errors %d) in %.2f s = %.0f req/s%n", r.completed(), r.ok(), r.non2xx(), r.errors(), r.elapsedNanos() / 1e9, r.achievedRate());
    System.out.printf("latency µs: p50 %.0f  p90 %.0f  p99 %.0f  p99.9 %.0f  max %.0f%n", r.micros(50), r.micros(90), r.micros(99), r.micros(99.9), r.latency().getMaxValue() / 1000.0);
    System.out.printf("service time µs: p50 %.0f  p99 %.0f%n", r.serviceTime().getValueAtPercentile(50) / 1000.0, r.serviceTime().getValueAtPercentile(99) / 1000.0);
    if (r.firstError() != null) {
      System.out.println("first error: " + r.firstError());
    }
  }
}
