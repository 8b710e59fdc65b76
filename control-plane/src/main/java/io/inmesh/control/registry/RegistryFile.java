package io.inmesh.control.registry;

import io.inmesh.policy.files.AtomicFiles;
import io.inmesh.policy.tree.JsonTrees;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code <data-dir>/registry.json}: the registry (and the last snapshot version and generation,
 * so generations keep counting up across restarts) as of the last save, and beside it
 * {@code registry.journal}: one line per registration or graceful deregistration since that save, appended as it happens, so
 * a control plane killed between saves (SIGKILL, OOM killer) loses no registration. A line is
 * written to the file at once (the page cache outlives the process); a save starts a new journal
 * ({@code registry.journal.old} holds the previous one until the save is on disk). Loading reads the
 * file, then the old journal, then the journal; a torn last line is skipped.
 */
public final class RegistryFile {

  static final int FORMAT = 1;

  private final Path file;

  /** What a previous run left behind. */
  public record Saved(List<AgentRecord> agents, String snapshotVersion, long snapshotGeneration) {}

  public RegistryFile(Path dataDir) {
    this.file = dataDir.resolve("registry.json");
  }

  /** Registrations since the last save began. */
  public Path journal() {
    return file.resolveSibling("registry.journal");
  }

  /** The journal of a save in progress (deleted once that save is on disk). */
  public Path oldJournal() {
    return file.resolveSibling("registry.journal.old");
  }

  /** One journal line. */
  static byte[] journalLine(AgentRecord r) {
    byte[] json = JsonTrees.write(AgentJson.toJson(r));
    byte[] line = java.util.Arrays.copyOf(json, json.length + 1);
    line[json.length] = '\n';
    return line;
  }

  /** The journal line of a graceful deregistration. */
  static byte[] deregistrationLine(String agent) {
    byte[] json = JsonTrees.write(Map.of(DEREGISTERED, agent));
    byte[] line = java.util.Arrays.copyOf(json, json.length + 1);
    line[json.length] = '\n';
    return line;
  }

  private static final String DEREGISTERED = "deregistered";

  public Path path() {
    return file;
  }

  /** @return null when there is no file (a fresh data dir) */
  public Saved load() throws IOException {
    Saved saved = loadFile();
    Map<String, AgentRecord> journaled = new LinkedHashMap<>();
    readJournal(oldJournal(), journaled);
    readJournal(journal(), journaled);
    if (journaled.isEmpty()) {
      return saved;
    }
    Map<String, AgentRecord> agents = new LinkedHashMap<>();
    if (saved != null) {
      saved.agents().forEach(a -> agents.put(a.agent(), a));
    }
    journaled.forEach((agent, r) -> {
      if (r == null) {
        agents.remove(agent);
      } else {
        agents.put(agent, r);
      }
    });
    return new Saved(new ArrayList<>(agents.values()),
        saved == null ? null : saved.snapshotVersion(), saved == null ? 0 : saved.snapshotGeneration());
  }

  /**
   * Upserts every whole line of {@code journal} into {@code into} (a deregistration as a null record, in
   * order, so a later registration of the same agent wins); a torn or unreadable line is skipped.
   */
  @SuppressWarnings("unchecked")
  private static void readJournal(Path journal, Map<String, AgentRecord> into) throws IOException {
    List<String> lines;
    try {
      lines = Files.readAllLines(journal, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return;
    }
    for (String line : lines) {
      if (line.isBlank()) {
        continue;
      }
      try {
        Map<String, Object> json = JsonTrees.readObject(line.getBytes(StandardCharsets.UTF_8));
        if (json.size() == 1 && json.get(DEREGISTERED) instanceof String gone) {
          into.remove(gone); // keep the journal's order: a re-registration after this line goes last
          into.put(gone, null);
          continue;
        }
        AgentRecord r = AgentJson.fromJson(json);
        into.remove(r.agent());
        into.put(r.agent(), r);
      } catch (IOException | RuntimeException e) {
        // the last line of a journal whose writer was killed mid-write
      }
    }
  }

  @SuppressWarnings("unchecked")
  private Saved loadFile() throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return null;
    }
    Map<String, Object> root = JsonTrees.readObject(bytes);
    if (!(root.get("format") instanceof Number n) || n.intValue() != FORMAT) {
      throw new IOException("unknown format " + root.get("format") + " (this control plane writes " + FORMAT + ")");
    }
    List<AgentRecord> agents = new ArrayList<>();
    try {
      for (Object o : (List<Object>) root.getOrDefault("agents", List.of())) {
        agents.add(AgentJson.fromJson((Map<String, Object>) o));
      }
    } catch (RuntimeException e) {
      throw new IOException("unexpected content: " + e, e);
    }
    Map<String, Object> snap = root.get("snapshot") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    return new Saved(
        agents,
        snap.get("version") instanceof String v ? v : null,
        snap.get("generation") instanceof Number g ? g.longValue() : 0);
  }

  public void save(Saved state) throws IOException {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("format", FORMAT);
    Map<String, Object> snap = new LinkedHashMap<>();
    snap.put("version", state.snapshotVersion());
    snap.put("generation", state.snapshotGeneration());
    root.put("snapshot", snap);
    List<Object> agents = new ArrayList<>();
    for (AgentRecord a : state.agents()) {
      agents.add(AgentJson.toJson(a));
    }
    root.put("agents", agents);
    AtomicFiles.write(file, JsonTrees.writePretty(root).getBytes(StandardCharsets.UTF_8));
  }

  /** Keeps an unreadable file for a human to look at instead of overwriting it. */
  public Path setAside() throws IOException {
    Path aside = file.resolveSibling("registry.json.unreadable-" + System.currentTimeMillis());
    Files.move(file, aside);
    return aside;
  }
}
