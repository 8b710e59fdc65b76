package io.inmesh.control.policy;

import io.inmesh.policy.ParseResult;
import io.inmesh.policy.ParsedResource;
import io.inmesh.policy.diag.Diagnostic;
import io.inmesh.policy.snapshot.SnapshotCodec;
import io.inmesh.policy.validate.PolicySetValidator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The policy files known to the control plane and what each serves. File-name order is the
 * snapshot order, so the same folder always yields the same snapshot.
 */
public final class PolicyStore {

  private final String defaultNamespace;
  private final TreeMap<String, PolicyFileState> files = new TreeMap<>();
  /** The parse each file's serving resources came from (the latest, or the last good one). */
  private final Map<String, ParseResult> servedFrom = new HashMap<>();
  /**
   * Cross-resource findings about what is served now (PolicySetValidator), computed when first
   * asked after a change (a scan that loads many files validates the set once, not per file), and
   * those already logged.
   */
  private List<Diagnostic> crossResource = List.of();
  private boolean crossResourceStale;
  private final Set<String> reported = new HashSet<>();

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
      servedFrom.put(name, parsed);
    }
    files.put(name, next);
    crossResourceStale = true;
    return new PolicyChange(name, next.rejected() ? PolicyChange.Kind.REJECTED : PolicyChange.Kind.LOADED, next, 0);
  }

  /** Forgets a deleted file; its resources leave the snapshot. */
  public synchronized PolicyChange remove(String name) {
    PolicyFileState previous = files.remove(name);
    if (previous == null) {
      return null;
    }
    servedFrom.remove(name);
    crossResourceStale = true;
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

  /**
   * Findings that need every served resource at once (the same object twice, two VirtualServices
   * for one host, subsets referenced but not defined, conflicting PeerAuthentications, ...).
   */
  public synchronized List<Diagnostic> crossResourceFindings() {
    if (crossResourceStale) {
      crossResource = PolicySetValidator.validate(servedResources(servedFrom));
      crossResourceStale = false;
    }
    return crossResource;
  }

  /** Cross-resource findings not handed out before (each is logged once, when it first appears). */
  public synchronized List<Diagnostic> newCrossResourceFindings() {
    List<Diagnostic> fresh = new ArrayList<>();
    Set<String> now = new HashSet<>();
    for (Diagnostic d : crossResourceFindings()) {
      String key = d.format();
      now.add(key);
      if (!reported.contains(key)) {
        fresh.add(d);
      }
    }
    reported.retainAll(now);
    reported.addAll(now);
    return fresh;
  }

  /**
   * The cross-resource errors that serving {@code parsed} as file {@code name} would add to what is
   * served now (an apply that brings a new conflict is refused; an old one elsewhere does not block
   * it).
   */
  public synchronized List<Diagnostic> crossResourceErrorsWith(String name, ParseResult parsed) {
    Map<String, ParseResult> candidate = new HashMap<>(servedFrom);
    candidate.put(name, parsed);
    Set<String> before = new HashSet<>();
    for (Diagnostic d : crossResourceFindings()) {
      if (d.isError()) {
        before.add(key(d));
      }
    }
    List<Diagnostic> added = new ArrayList<>();
    for (Diagnostic d : PolicySetValidator.validate(servedResources(candidate))) {
      if (d.isError() && !before.contains(key(d))) {
        added.add(d);
      }
    }
    return added;
  }

  /** The cross-resource findings (errors and warnings) the set would have with {@code parsed} as file {@code name}. */
  public synchronized List<Diagnostic> crossResourceFindingsWith(String name, ParseResult parsed) {
    Map<String, ParseResult> candidate = new HashMap<>(servedFrom);
    candidate.put(name, parsed);
    return PolicySetValidator.validate(servedResources(candidate));
  }

  /** A finding without its line, which moves when the file around it is edited. */
  private static String key(Diagnostic d) {
    return d.file() + "|" + d.resource() + "|" + d.path() + "|" + d.message();
  }

  /** File-name order, then document order: the snapshot's order. */
  private static List<ParsedResource> servedResources(Map<String, ParseResult> byFile) {
    List<ParsedResource> out = new ArrayList<>();
    for (ParseResult r : new TreeMap<>(byFile).values()) {
      out.addAll(r.resources());
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
