package io.inmesh.control.api;

import io.inmesh.control.Durations;
import io.inmesh.control.poll.HeldPolls;
import io.inmesh.control.poll.PollChannel;
import io.inmesh.control.registry.AgentRecord;
import io.inmesh.control.registry.Registry;
import io.inmesh.control.snapshot.Snapshot;
import io.inmesh.control.snapshot.SnapshotService;
import io.inmesh.control.view.ViewKey;
import io.inmesh.control.view.WorkloadViews;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;

/**
 * The long-polls agents pull snapshots with, and their ACK/NACK.
 *
 * <p>{@code GET /v1/snapshot} serves the whole mesh to anyone, as it always has. {@code GET
 * /v1/view} serves a registered agent its workload's view (only what its Sidecar scopes), and
 * counts as its heartbeat: an agent that polls needs no separate heartbeat, so it is held at most
 * {@code ttl - heartbeat}, and is heard from again when it comes back.
 *
 * <p>A view poll also carries the agent's acknowledgement of the snapshot it got last ({@code
 * ack=V}, or {@code nack=V&error=...}), so a delivery costs the agent one poll rather than a poll
 * and an ack on a connection of its own; every view answer says so with {@value #POLL_ACK_HEADER}
 * (an agent talking to a control plane without it keeps sending {@code POST /v1/ack}).
 */
public final class SnapshotApi {

  static final Duration DEFAULT_WAIT = Duration.ofSeconds(30);
  static final Duration MAX_WAIT = Duration.ofSeconds(60);
  private static final int MAX_BODY = 64 * 1024;
  /** On every view answer: this control plane records the ack a view poll carries. */
  public static final String POLL_ACK_HEADER = "X-Inmesh-Poll-Ack";
  /**
   * On a snapshot answer: the agent may send its next poll any time within this many milliseconds
   * (a random point in it) rather than at once. Sent while a large wave of answers is still going
   * out ({@link HeldPolls#repollWithinMillis}); an agent that ignores it is served all the same.
   */
  public static final String REPOLL_WITHIN_HEADER = "X-Inmesh-Repoll-Within";
  /**
   * {@code -Dinmesh.control.pollAck=false}: view polls neither announce nor record acks, so agents
   * post them as before (the A/B of {@code bench/scale/run --control-opt}).
   */
  private static final boolean POLL_ACK = !"false".equals(System.getProperty("inmesh.control.pollAck"));

  private final SnapshotService snapshots;
  private final WorkloadViews views;
  private final Registry registry;
  private final HeldPolls polls;
  private final ApiServer api;
  private final Duration viewHold;

  public SnapshotApi(
      SnapshotService snapshots, WorkloadViews views, Registry registry, HeldPolls polls, ApiServer api, Duration viewHold) {
    this.snapshots = snapshots;
    this.views = views;
    this.registry = registry;
    this.polls = polls;
    this.api = api;
    this.viewHold = viewHold;
  }

  public void routes(ApiServer server) {
    server
        .route("GET", "/v1/snapshot", this::snapshot)
        .route("GET", "/v1/view", this::view)
        .route("POST", "/v1/ack", this::ack);
  }

  /** {@code ?agent&service&namespace&version&wait}: the whole mesh, the same for every workload. */
  void snapshot(HttpCall call) throws IOException {
    String known = known(call);
    Duration wait = wait(call.query("wait"));
    snapshots.current(); // rebuilt now if the registry moved since the last rebuild
    hold(call, snapshots.channel(), known, wait, null);
  }

  /** {@code ?agent&version&wait}: the agent's own view; 404 "unknown agent" until it registers. */
  void view(HttpCall call) throws IOException {
    String agent = call.query("agent");
    if (agent == null || agent.isEmpty()) {
      throw ApiException.badRequest("missing agent", "GET /v1/view?agent=<id>&version=<V>&wait=30s after POST /v1/register");
    }
    String known = known(call);
    Duration wait = wait(call.query("wait"));
    if (wait.compareTo(viewHold) > 0) {
      wait = viewHold;
    }
    AgentRecord record = registry.get(agent);
    if (record == null || !registry.heartbeat(agent)) {
      throw new ApiException(404, "unknown agent", "register again");
    }
    if (POLL_ACK) {
      recordCarriedAck(call, agent);
      call.header(POLL_ACK_HEADER, "1");
    }
    PollChannel channel = null;
    ViewKey key = views.keyFor(record);
    if (key != null) {
      channel = views.channel(key);
    }
    if (channel == null) {
      snapshots.current();
      channel = snapshots.channel();
    }
    hold(call, channel, known, wait, agent);
  }

  /** {@code ack=V} (applied) or {@code nack=V&error=...} (refused) on a view poll: the agent's ack, folded in. */
  private void recordCarriedAck(HttpCall call, String agent) {
    String acked = call.query("ack");
    String nacked = call.query("nack");
    if (acked != null && !acked.isEmpty()) {
      registry.ack(agent, acked, true, null);
    } else if (nacked != null && !nacked.isEmpty()) {
      registry.ack(agent, nacked, false, call.query("error"));
    }
  }

  private void hold(HttpCall call, PollChannel channel, String known, Duration wait, String heartbeatAgent)
      throws IOException {
    HeldPolls.Outcome o =
        polls.poll(
            call,
            channel,
            known,
            wait,
            (c, s, k) -> {
              if (heartbeatAgent != null) {
                registry.heartbeat(heartbeatAgent); // heard from at both ends of the hold
              }
              answer(c, s, k);
            });
    if (o == HeldPolls.Outcome.FULL) {
      api.shed(call, polls.held() + " polls held, at most " + polls.limit());
    }
  }

  private void answer(HttpCall call, Snapshot s, String known) throws IOException {
    if (s == null) {
      if (known != null) {
        call.header("X-Inmesh-Version", known);
      }
      call.empty(304);
      return;
    }
    call.header("X-Inmesh-Version", s.version());
    call.header("X-Inmesh-Generation", Long.toString(s.generation()));
    long within = polls.repollWithinMillis();
    if (within > 0) {
      call.header(REPOLL_WITHIN_HEADER, Long.toString(within));
    }
    call.send(200, "application/json", s.body());
  }

  private static String known(HttpCall call) {
    String known = call.query("version");
    return known == null || known.isEmpty() ? null : known;
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
