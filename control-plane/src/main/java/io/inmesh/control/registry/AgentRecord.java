package io.inmesh.control.registry;

import io.inmesh.policy.compile.Endpoint;
import io.inmesh.policy.compile.ServiceKey;
import java.time.Instant;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * One agent in the registry: what it registered, when it was last heard from, and which snapshot
 * it runs.
 *
 * @param lastAckAccepted null before the first ack; false when the last ack was a NACK
 */
public record AgentRecord(
    Registration registration,
    Instant registeredAt,
    Instant lastSeen,
    String appliedVersion,
    Instant appliedAt,
    String rejectedVersion,
    String rejectError,
    Boolean lastAckAccepted) {

  /** How an agent stands against the current snapshot version. */
  public enum State {
    CURRENT,
    STALE,
    REJECTED,
    PENDING;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public static AgentRecord registered(Registration r, Instant now) {
    return new AgentRecord(r, now, now, null, null, null, null, null);
  }

  public String agent() {
    return registration.agent();
  }

  public ServiceKey serviceKey() {
    return new ServiceKey(registration.service(), registration.namespace());
  }

  /** Only an agent with an address and a port can receive calls. */
  public boolean isEndpoint() {
    return registration.address() != null && !registration.ports().isEmpty();
  }

  public Endpoint endpoint() {
    // sorted labels: a stable snapshot body for the same registry
    return new Endpoint(
        registration.address(),
        registration.ports(),
        Collections.unmodifiableMap(new TreeMap<>(registration.labels())),
        registration.agent(),
        registration.identity()); // proven at registration: what secure naming checks servers against
  }

  public State state(String currentVersion) {
    if (lastAckAccepted == null) {
      return State.PENDING;
    }
    if (!lastAckAccepted) {
      return State.REJECTED;
    }
    return currentVersion.equals(appliedVersion) ? State.CURRENT : State.STALE;
  }

  /** Re-registration keeps history (first registration, acks) and takes the new listeners. */
  public AgentRecord reregistered(Registration r, Instant now) {
    return new AgentRecord(r, registeredAt, now, appliedVersion, appliedAt, rejectedVersion, rejectError, lastAckAccepted);
  }

  public AgentRecord seen(Instant now) {
    return new AgentRecord(
        registration, registeredAt, now, appliedVersion, appliedAt, rejectedVersion, rejectError, lastAckAccepted);
  }

  public AgentRecord applied(String version, Instant now) {
    return new AgentRecord(registration, registeredAt, now, version, now, rejectedVersion, rejectError, true);
  }

  public AgentRecord rejected(String version, String error, Instant now) {
    return new AgentRecord(registration, registeredAt, now, appliedVersion, appliedAt, version, error, false);
  }

  /** {@code usuario-service.default 127.0.0.21:[8080] {app=usuario-service,version=v1} agent=…}. */
  public String describe() {
    String where =
        isEndpoint() ? registration.address() + ":" + registration.ports() : "(client only)";
    String labels =
        new TreeMap<>(registration.labels())
            .entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(",", "{", "}"));
    return serviceKey() + " " + where + " " + labels + " agent=" + agent();
  }

  /** Labels sorted, for output that reads the same every time. */
  public Map<String, String> sortedLabels() {
    return new TreeMap<>(registration.labels());
  }
}
