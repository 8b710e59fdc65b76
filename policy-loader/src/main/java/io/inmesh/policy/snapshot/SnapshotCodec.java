package io.inmesh.policy.snapshot;

import io.inmesh.policy.ParsedResource;
import io.inmesh.policy.PolicyParser;
import io.inmesh.policy.compile.Endpoint;
import io.inmesh.policy.compile.MeshSnapshot;
import io.inmesh.policy.compile.ServiceKey;
import io.inmesh.policy.diag.Diagnostic;
import io.inmesh.policy.model.PolicyResource;
import io.inmesh.policy.tree.JsonReader;
import io.inmesh.policy.tree.JsonReader.Token;
import io.inmesh.policy.tree.JsonTrees;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The snapshot wire format, shared by the control plane (which writes it) and the agent (which
 * reads it, validates every resource again with the same binder, and refuses the whole snapshot if
 * anything in it is wrong: an agent never applies a half-valid snapshot).
 *
 * <pre>
 * {"version": "9f2c…", "generation": 12,
 *  "resources": [{"file": "canary.yaml", "apiVersion": …, "kind": …, "metadata": …, "spec": …}],
 *  "services": [{"name": "usuario-service", "namespace": "default",
 *                "endpoints": [{"address": "127.0.0.21", "ports": [8080],
 *                               "labels": {"app": "usuario-service", "version": "v1"},
 *                               "agent": "…", "identity": "spiffe://…"}]}]}
 * </pre>
 */
public final class SnapshotCodec {

  public static final String FILE_KEY = "file";

  private SnapshotCodec() {}

  /** A decoded snapshot, or the reasons it was refused. */
  public record Decoded(MeshSnapshot snapshot, List<Diagnostic> errors) {
    public boolean ok() {
      return snapshot != null;
    }

    public String errorSummary() {
      StringBuilder sb = new StringBuilder();
      for (Diagnostic d : errors) {
        if (sb.length() > 0) {
          sb.append("; ");
        }
        sb.append(d.format());
      }
      return sb.toString();
    }
  }

  public static byte[] encode(String version, long generation, List<Map<String, Object>> resources, Map<ServiceKey, List<Endpoint>> services) {
    return JsonTrees.write(toTree(version, generation, resources, services));
  }

  public static Map<String, Object> toTree(
      String version, long generation, List<Map<String, Object>> resources, Map<ServiceKey, List<Endpoint>> services) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("version", version);
    root.put("generation", generation);
    root.put("resources", resources);
    List<Object> svcs = new ArrayList<>();
    for (Map.Entry<ServiceKey, List<Endpoint>> e : services.entrySet()) {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("name", e.getKey().name());
      s.put("namespace", e.getKey().namespace());
      List<Object> eps = new ArrayList<>();
      for (Endpoint ep : e.getValue()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("address", ep.address());
        m.put("ports", ep.ports());
        m.put("labels", ep.labels());
        m.put("agent", ep.agent());
        if (ep.identity() != null) {
          m.put("identity", ep.identity());
        }
        eps.add(m);
      }
      s.put("endpoints", eps);
      svcs.add(s);
    }
    root.put("services", svcs);
    return root;
  }

  /**
   * Decodes and validates; any error anywhere refuses the whole snapshot. The resources are read
   * and bound one at a time from the stream, so a snapshot of tens of thousands of resources never
   * has all their JSON trees alive at once (the garbage collector, not the binder, was the cost).
   */
  public static Decoded decode(byte[] json) {
    try {
      JsonReader p = JsonTrees.parser(json);
      if (p.nextToken() != Token.START_OBJECT) {
        return refused("snapshot is not valid JSON: expected a JSON object");
      }
      Object version = null;
      long generation = 0;
      Object services = List.of();
      PolicyParser parser = new PolicyParser();
      List<PolicyResource> resources = new ArrayList<>();
      List<Diagnostic> errors = new ArrayList<>();
      while (p.nextToken() == Token.FIELD_NAME) {
        String name = p.currentName();
        Token t = p.nextToken();
        switch (name) {
          case "version" -> version = t == Token.STRING ? p.text() : null;
          case "generation" -> generation = t.isNumeric() ? p.longValue() : 0;
          case "resources" -> {
            if (t != Token.START_ARRAY) {
              return refused("snapshot resources must be a list");
            }
            while (p.nextToken() != Token.END_ARRAY) {
              Object o = JsonTrees.readValue(p);
              String problem = bindResource(parser, o, resources, errors);
              if (problem != null) {
                return refused(problem);
              }
            }
          }
          case "services" -> services = JsonTrees.readValue(p);
          default -> p.skipChildren();
        }
      }
      return finish(version, generation, resources, errors, services);
    } catch (IOException | RuntimeException e) {
      return refused("snapshot is not valid JSON: " + e.getMessage());
    }
  }

  public static Decoded decode(Map<String, Object> root) {
    Object res = root.getOrDefault("resources", List.of());
    if (!(res instanceof List<?> list)) {
      return refused("snapshot resources must be a list");
    }
    PolicyParser parser = new PolicyParser();
    List<PolicyResource> resources = new ArrayList<>();
    List<Diagnostic> errors = new ArrayList<>();
    for (Object o : list) {
      String problem = bindResource(parser, o, resources, errors);
      if (problem != null) {
        return refused(problem);
      }
    }
    Object generation = root.get("generation");
    return finish(
        root.get("version"),
        generation instanceof Number n ? n.longValue() : 0,
        resources,
        errors,
        root.getOrDefault("services", List.of()));
  }

  /** Binds one resource of the snapshot; returns why the snapshot is malformed, or null. */
  @SuppressWarnings("unchecked")
  private static String bindResource(PolicyParser parser, Object o, List<PolicyResource> resources, List<Diagnostic> errors) {
    if (!(o instanceof Map)) {
      return "snapshot resource is not an object";
    }
    Map<String, Object> tree = (Map<String, Object>) o;
    String file = tree.get(FILE_KEY) instanceof String f ? f : "<snapshot>";
    Map<String, Object> doc = new LinkedHashMap<>(tree);
    doc.remove(FILE_KEY);
    ParsedResource pr = parser.bind(file, doc);
    for (Diagnostic d : pr.diagnostics()) {
      if (d.isError()) {
        errors.add(d);
      }
    }
    if (pr.resource() != null) {
      resources.add(pr.resource());
    }
    return null;
  }

  @SuppressWarnings("unchecked")
  private static Decoded finish(Object version, long generation, List<PolicyResource> resources, List<Diagnostic> errors, Object svcs) {
    try {
      if (!(version instanceof String v) || v.isEmpty()) {
        return refused("snapshot has no version");
      }
      Map<ServiceKey, List<Endpoint>> services = new LinkedHashMap<>();
      if (!(svcs instanceof List<?> sl)) {
        return refused("snapshot services must be a list");
      }
      for (Object o : sl) {
        Map<String, Object> s = (Map<String, Object>) o;
        ServiceKey key = new ServiceKey((String) s.get("name"), (String) s.get("namespace"));
        List<Endpoint> eps = new ArrayList<>();
        for (Object e : (List<Object>) s.getOrDefault("endpoints", List.of())) {
          Map<String, Object> m = (Map<String, Object>) e;
          List<Integer> ports = new ArrayList<>();
          for (Object port : (List<Object>) m.getOrDefault("ports", List.of())) {
            ports.add(((Number) port).intValue());
          }
          Map<String, String> labels = new LinkedHashMap<>();
          for (Map.Entry<String, Object> l : ((Map<String, Object>) m.getOrDefault("labels", Map.of())).entrySet()) {
            labels.put(l.getKey(), String.valueOf(l.getValue()));
          }
          eps.add(new Endpoint(
              (String) m.get("address"), List.copyOf(ports), Map.copyOf(labels), (String) m.get("agent"), (String) m.get("identity")));
        }
        services.put(key, List.copyOf(eps));
      }
      if (!errors.isEmpty()) {
        return new Decoded(null, List.copyOf(errors));
      }
      return new Decoded(new MeshSnapshot(v, generation, List.copyOf(resources), services), List.of());
    } catch (ClassCastException | NullPointerException e) {
      return refused("snapshot has an unexpected shape: " + e);
    }
  }

  private static Decoded refused(String why) {
    return new Decoded(
        null, List.of(new Diagnostic(io.inmesh.policy.diag.Severity.ERROR, "<snapshot>", 0, null, null, why, null)));
  }
}
