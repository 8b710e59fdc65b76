package io.inmesh.bench.scale;

import io.inmesh.policy.control.ControlClient;
import io.inmesh.policy.control.ControlLoop;
import io.inmesh.policy.control.SnapshotTarget;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadFactory;

/**
 * A simulated agent for the flapping run: like {@link SimulatedAgent} (the agent's real
 * {@link ControlLoop} and {@link ControlClient}), and it also timestamps, on the agent's own
 * registry thread, the start of every registration attempt ({@link ControlClient#register} reads
 * the endpoint just before it sends), so that when an agent came back is the moment it sent the
 * request that got through, not when a busy control plane got round to answering it.
 */
final class FlapAgent implements SnapshotTarget {

  final int service;
  final String address;
  final ControlLoop loop;
  final String id;
  private final List<Long> registerAttempts = new ArrayList<>(); // guarded by itself
  /** When the run's sampler saw this agent's poll counter move (a poll started at most one sample earlier). */
  private final List<Long> pollStartsSeen = new ArrayList<>(); // guarded by itself
  private long pollsSeen; // sampler thread only
  private volatile String version;
  private volatile SimulatedAgent.Watch watch;

  FlapAgent(int service, String address, String controlUrl, Path cacheRoot, ThreadFactory threads) {
    this.service = service;
    this.address = address;
    SimulatedAgent.Loop l =
        SimulatedAgent.newLoop(CallGraph.name(service), "app=" + CallGraph.name(service) + ",version=v1", address,
            () -> {
              long now = System.nanoTime(); // once per registration attempt, right before it is sent
              synchronized (registerAttempts) {
                registerAttempts.add(now);
              }
            },
            controlUrl, cacheRoot, threads, this);
    this.id = l.id();
    this.loop = l.loop();
  }

  void start() {
    loop.start();
  }

  /** Times the first arrival of a snapshot carrying {@code marker}. */
  SimulatedAgent.Watch watch(String marker) {
    SimulatedAgent.Watch w = new SimulatedAgent.Watch(marker);
    watch = w;
    return w;
  }

  /** The last registration attempt started in [from, to], or 0. */
  long lastRegisterAttempt(long fromNanos, long toNanos) {
    synchronized (registerAttempts) {
      return last(registerAttempts, fromNanos, toNanos);
    }
  }

  /** Called by the run's sampler every few milliseconds: notes when a new poll attempt started. */
  void samplePolls(long nowNanos) {
    long polls = ((Number) loop.stats().get("polls")).longValue();
    if (polls != pollsSeen) {
      pollsSeen = polls;
      synchronized (pollStartsSeen) {
        pollStartsSeen.add(nowNanos);
      }
    }
  }

  /** When the sampler last saw a poll start in [from, to], or 0. */
  long lastPollSeen(long fromNanos, long toNanos) {
    synchronized (pollStartsSeen) {
      return last(pollStartsSeen, fromNanos, toNanos);
    }
  }

  private static long last(List<Long> times, long fromNanos, long toNanos) {
    for (int i = times.size() - 1; i >= 0; i--) {
      long t = times.get(i);
      if (t - toNanos <= 0) {
        return t - fromNanos >= 0 ? t : 0;
      }
    }
    return 0;
  }

  long registrations() {
    return ((Number) loop.stats().get("registrations")).longValue();
  }

  long failures() {
    Map<String, Object> s = loop.stats();
    return ((Number) s.get("pollFailures")).longValue() + ((Number) s.get("registryFailures")).longValue();
  }

  @Override
  public Applied apply(byte[] json, boolean fromCache) {
    long now = System.nanoTime();
    SimulatedAgent.Watch w = watch;
    if (w != null && w.arrivedNanos == 0 && !fromCache && SimulatedAgent.contains(json, w.marker)) {
      w.arrivedNanos = now;
    }
    String v = SimulatedAgent.versionOf(json);
    if (v == null) {
      return new Applied(false, null, "no version in the snapshot");
    }
    version = v;
    return new Applied(true, v, null);
  }

  @Override
  public String activeVersion() {
    return version;
  }
}
