package io.inmesh.control.api;

import io.inmesh.control.Durations;
import io.inmesh.control.registry.AgentJson;
import io.inmesh.control.registry.AgentRecord;
import io.inmesh.control.registry.Registration;
import io.inmesh.control.registry.Registry;
import io.inmesh.control.snapshot.Snapshot;
import io.inmesh.control.snapshot.SnapshotService;
import io.inmesh.control.view.WorkloadViews;
import io.inmesh.policy.compile.ServiceKey;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Register, heartbeat, deregister, and the read-only views of the registry. */
public final class RegistryApi {

  private static final int MAX_BODY = 64 * 1024;
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Pattern SERVICE = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]{0,251}[A-Za-z0-9])?");
  private static final String REGISTER_HINT =
      "POST {\"agent\":\"<unique id>\",\"service\":\"usuario-service\",\"namespace\":\"default\","
          + "\"labels\":{\"version\":\"v1\"},\"address\":\"127.0.0.21\",\"ports\":[8080]}";

  private final Registry registry;
  private final SnapshotService snapshots;
  private final WorkloadViews views;
  private final String defaultNamespace;
  private final Duration heartbeat;
  private final Duration ttl;

  public RegistryApi(
      Registry registry, SnapshotService snapshots, WorkloadViews views, String defaultNamespace, Duration heartbeat,
      Duration ttl) {
    this.registry = registry;
    this.snapshots = snapshots;
    this.views = views;
    this.defaultNamespace = defaultNamespace;
    this.heartbeat = heartbeat;
    this.ttl = ttl;
  }

  public void routes(ApiServer api) {
    api.route("POST", "/v1/register", this::register)
        .route("POST", "/v1/heartbeat", this::heartbeat)
        .route("POST", "/v1/deregister", this::deregister)
        .route("GET", "/v1/agents", this::agents)
        .route("GET", "/v1/endpoints", this::endpoints);
  }

  void register(HttpCall call) throws IOException {
    JsonFields body = call.jsonBody(MAX_BODY);
    String agent = body.requiredString("agent", REGISTER_HINT);
    String service = body.requiredString("service", REGISTER_HINT);
    if (!SERVICE.matcher(service).matches()) {
      throw ApiException.badRequest("\"" + service + "\" is not a valid service name", "use letters, digits, '-' and '.'");
    }
    String namespace = body.optionalString("namespace");
    if (namespace == null || namespace.isEmpty()) {
      namespace = defaultNamespace;
    } else if (!DNS_LABEL.matcher(namespace).matches()) {
      throw ApiException.badRequest("\"" + namespace + "\" is not a valid namespace", "use lower-case letters, digits and '-'");
    }
    String address = body.optionalString("address");
    if (address != null && (address.isBlank() || address.chars().anyMatch(Character::isWhitespace))) {
      throw ApiException.badRequest("\"" + address + "\" is not an address", "send an IP address, or null for a client-only agent");
    }
    Caller caller = call.caller();
    String serviceAccount = body.optionalString("serviceAccount");
    if (caller.identity() != null && (serviceAccount == null || serviceAccount.isEmpty())) {
      serviceAccount = caller.identity().serviceAccount();
    }
    java.time.Instant certificateExpires = null;
    if (!call.peerCertificates().isEmpty()) {
      certificateExpires = call.peerCertificates().get(0).getNotAfter().toInstant();
    } else if (caller.identity() != null && body.optionalString("certificateExpires") != null) {
      try {
        certificateExpires = java.time.Instant.parse(body.optionalString("certificateExpires"));
      } catch (java.time.format.DateTimeParseException e) {
        throw ApiException.badRequest("certificateExpires is not an ISO-8601 instant", "e.g. 2026-12-01T06:00:00Z");
      }
    }
    Registration r =
        new Registration(
            agent,
            service,
            namespace,
            body.stringMap("labels"),
            address,
            body.ports("ports"),
            serviceAccount,
            body.optionalLong("pid"),
            body.optionalString("host"),
            body.optionalString("version"),
            caller.identity() == null ? null : caller.identity().uri(),
            certificateExpires);
    registry.register(r);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("heartbeatSeconds", Durations.seconds(heartbeat));
    out.put("ttlSeconds", Durations.seconds(ttl));
    call.json(200, out);
  }

  void heartbeat(HttpCall call) throws IOException {
    String agent = call.jsonBody(MAX_BODY).requiredString("agent", "POST {\"agent\":\"<id>\"}");
    if (!registry.heartbeat(agent)) {
      throw new ApiException(404, "unknown agent", "register again");
    }
    call.json(200, Map.of());
  }

  void deregister(HttpCall call) throws IOException {
    String agent = call.jsonBody(MAX_BODY).requiredString("agent", "POST {\"agent\":\"<id>\"}");
    boolean known = registry.deregister(agent);
    // deregistering twice (a retry after a lost answer) is not an error
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("deregistered", known);
    call.json(200, out);
  }

  void agents(HttpCall call) throws IOException {
    Snapshot current = snapshots.current();
    List<Object> list = new ArrayList<>();
    for (AgentRecord a : registry.agents()) {
      Map<String, Object> m = AgentJson.toJson(a);
      m.remove("lastAckAccepted"); // "state" says it better
      // an agent scoped by a Sidecar runs its view's version, not the whole mesh's
      String view = views.versionFor(a);
      m.put("state", a.state(view != null && view.equals(a.appliedVersion()) ? view : current.version()).label());
      list.add(m);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("version", current.version());
    out.put("generation", current.generation());
    out.put("agents", list);
    call.json(200, out);
  }

  void endpoints(HttpCall call) throws IOException {
    Snapshot current = snapshots.current();
    Map<ServiceKey, List<Object>> grouped = new LinkedHashMap<>();
    for (AgentRecord a : registry.agents()) {
      if (!a.isEndpoint()) {
        continue;
      }
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("agent", a.agent());
      e.put("address", a.registration().address());
      e.put("ports", a.registration().ports());
      e.put("labels", a.sortedLabels());
      e.put("serviceAccount", a.registration().serviceAccount());
      e.put("lastSeen", a.lastSeen().toString());
      grouped.computeIfAbsent(a.serviceKey(), k -> new ArrayList<>()).add(e);
    }
    List<Object> services = new ArrayList<>();
    grouped.forEach(
        (k, eps) -> {
          Map<String, Object> s = new LinkedHashMap<>();
          s.put("name", k.name());
          s.put("namespace", k.namespace());
          s.put("endpoints", eps);
          services.add(s);
        });
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("version", current.version());
    out.put("generation", current.generation());
    out.put("services", services);
    call.json(200, out);
  }
}
