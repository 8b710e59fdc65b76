package io.inmesh.control.api;

import io.inmesh.control.Durations;
import io.inmesh.control.registry.Registry;
import io.inmesh.control.snapshot.Snapshot;
import io.inmesh.control.snapshot.SnapshotService;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;

/** The long-poll agents pull snapshots with, and their ACK/NACK. */
public final class SnapshotApi {

  static final Duration DEFAULT_WAIT = Duration.ofSeconds(30);
  static final Duration MAX_WAIT = Duration.ofSeconds(60);
  private static final int MAX_BODY = 64 * 1024;

  private final SnapshotService snapshots;
  private final Registry registry;

  public SnapshotApi(SnapshotService snapshots, Registry registry) {
    this.snapshots = snapshots;
    this.registry = registry;
  }

  public void routes(ApiServer api) {
    api.route("GET", "/v1/snapshot", this::snapshot).route("POST", "/v1/ack", this::ack);
  }

  /**
   * {@code ?agent&service&namespace&version&wait}. The workload parameters are accepted for the
   * per-workload snapshots to come; today every workload gets the same snapshot.
   */
  void snapshot(HttpCall call) throws IOException, InterruptedException {
    String known = call.query("version");
    if (known != null && known.isEmpty()) {
      known = null;
    }
    Duration wait = wait(call.query("wait"));
    Snapshot s = snapshots.await(known, wait);
    if (s == null) {
      call.header("X-Inmesh-Version", known);
      call.empty(304);
      return;
    }
    call.header("X-Inmesh-Version", s.version());
    call.header("X-Inmesh-Generation", Long.toString(s.generation()));
    call.send(200, "application/json", s.body());
  }

  void ack(HttpCall call) throws IOException {
    JsonFields body = call.jsonBody(MAX_BODY);
    String hint = "POST {\"agent\":\"<id>\",\"version\":\"<V>\",\"accepted\":true} (or accepted:false with \"error\")";
    String agent = body.requiredString("agent", hint);
    String version = body.requiredString("version", hint);
    Boolean accepted = body.optionalBoolean("accepted");
    if (accepted == null) {
      throw ApiException.badRequest("missing \"accepted\"", hint);
    }
    if (!registry.ack(agent, version, accepted, body.optionalString("error"))) {
      throw new ApiException(404, "unknown agent", "register again");
    }
    call.json(200, Map.of());
  }

  static Duration wait(String text) {
    if (text == null || text.isEmpty()) {
      return DEFAULT_WAIT;
    }
    Duration d;
    try {
      d = Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("wait: " + e.getMessage(), "e.g. wait=30s (at most 60s)");
    }
    return d.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : d;
  }
}
