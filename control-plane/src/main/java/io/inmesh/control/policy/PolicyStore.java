package io.inmesh.control.policy;

import io.inmesh.policy.ParseResult;
import io.inmesh.policy.ParsedResource;
import io.inmesh.policy.snapshot.SnapshotCodec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The policy files known to the control plane and what each serves. File-name order is the
 * snapshot order, so the same folder always yields the same snapshot.
 */
public final class PolicyStore {

  private final String defaultNamespace;
  private final TreeMap<String, PolicyFileState> files = new TreeMap<>();

  public PolicyStore(String defaultNamespace) {
    this.defaultNamespace = defaultNamespace;
  }

  /** Records new content of a file; a rejected file keeps what it served before. */
  public synchronized PolicyChange accept(String name, String contentHash, ParseResult parsed) {
    PolicyFileState previous = files.get(name);
    PolicyFileState next;
    if (parsed.hasErrors()) {
      boolean hasLastGood = previous != null && previous.hasLastGood();
      List<ServedResource> serving = hasLastGood ? previous.serving() : List.of();
      next = new PolicyFileState(name, contentHash, parsed, serving, hasLastGood);
    } else {
      next = new PolicyFileState(name, contentHash, parsed, served(name, parsed), true);
    }
    files.put(name, next);
    return new PolicyChange(name, next.rejected() ? PolicyChange.Kind.REJECTED : PolicyChange.Kind.LOADED, next, 0);
  }

  /** Forgets a deleted file; its resources leave the snapshot. */
  public synchronized PolicyChange remove(String name) {
    PolicyFileState previous = files.remove(name);
    if (previous == null) {
      return null;
    }
    return new PolicyChange(name, PolicyChange.Kind.DELETED, previous, previous.serving().size());
  }

  public synchronized String contentHash(String name) {
    PolicyFileState s = files.get(name);
    return s == null ? null : s.contentHash();
  }

  public synchronized List<String> names() {
    return List.copyOf(files.keySet());
  }

  public synchronized List<PolicyFileState> files() {
    return List.copyOf(files.values());
  }

  /** The snapshot's resources: file-name order, then document order. */
  public synchronized List<Map<String, Object>> resourceTrees() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (PolicyFileState f : files.values()) {
      for (ServedResource r : f.serving()) {
        out.add(r.wireTree());
      }
    }
    return out;
  }

  public synchronized int resourceCount() {
    return files.values().stream().mapToInt(f -> f.serving().size()).sum();
  }

  public synchronized int rejectedCount() {
    return (int) files.values().stream().filter(PolicyFileState::rejected).count();
  }

  private List<ServedResource> served(String file, ParseResult parsed) {
    List<ServedResource> out = new ArrayList<>();
    for (ParsedResource r : parsed.resources()) {
      // a document that bound to nothing (an unknown kind, reported as a warning) is not policy
      if (r.ok()) {
        out.add(new ServedResource(r.resource().ref(), wireTree(file, r.tree())));
      }
    }
    return List.copyOf(out);
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> wireTree(String file, Map<String, Object> tree) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put(SnapshotCodec.FILE_KEY, file);
    out.putAll(tree);
    Object meta = tree.get("metadata");
    if (meta instanceof Map<?, ?> m) {
      Object ns = m.get("namespace");
      if (!(ns instanceof String s) || s.isEmpty()) {
        Map<String, Object> copy = new LinkedHashMap<>((Map<String, Object>) m);
        copy.put("namespace", defaultNamespace);
        out.put("metadata", copy);
      }
    }
    return out;
  }
}
