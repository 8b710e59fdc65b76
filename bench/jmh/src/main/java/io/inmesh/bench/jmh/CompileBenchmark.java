package io.inmesh.bench.jmh;

import io.inmesh.policy.compile.MeshSnapshot;
import io.inmesh.policy.compile.RouteTable;
import io.inmesh.policy.snapshot.SnapshotCodec;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Compiling a snapshot of {@code services} VirtualServices + as many DestinationRules (and as many
 * registered services with two endpoints each) into one workload's route table. Target: < 1 s for
 * 10,000 + 10,000.
 *
 * <ul>
 *   <li>{@code compile}: bound resources → route table (what changes when only the registry moves);
 *   <li>{@code decodeValidateCompile}: snapshot JSON → every resource validated again by the
 *       binder → route table: the whole cost of an agent applying a snapshot.
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = {"-Xms1g", "-Xmx1g"})
public class CompileBenchmark {

  @Param({"10000"})
  public int services;

  MeshSnapshot snapshot;
  byte[] json;

  @Setup(Level.Trial)
  public void setUp() {
    snapshot = Fixtures.snapshot(services);
    json = Fixtures.snapshotJson(services);
  }

  @Benchmark
  public RouteTable compile() {
    return RouteTable.compile(snapshot, Fixtures.CLIENT);
  }

  @Benchmark
  public RouteTable decodeValidateCompile() {
    SnapshotCodec.Decoded d = SnapshotCodec.decode(json);
    if (!d.ok()) {
      throw new IllegalStateException(d.errorSummary());
    }
    return RouteTable.compile(d.snapshot(), Fixtures.CLIENT);
  }
}
