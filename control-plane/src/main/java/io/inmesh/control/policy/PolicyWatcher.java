package io.inmesh.control.policy;

import io.inmesh.control.Sha256;
import io.inmesh.policy.ParseResult;
import io.inmesh.policy.PolicyParser;
import io.inmesh.policy.diag.Diagnostic;
import io.inmesh.policy.diag.Severity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Keeps the {@link PolicyStore} in step with the policy folder. A scan lists the folder and
 * re-reads only files whose mtime or size moved, and re-parses only when the content hash moved,
 * so a 200 ms scan of an idle folder costs a directory listing. Polling rather than a WatchService
 * because WatchService misses changes on network and overlay file systems and behind ConfigMap
 * symlink swaps; the cost is at most one scan interval of latency.
 */
public final class PolicyWatcher {

  /** YamlTrees reads at most this much; a bigger file is refused before reading it. */
  static final long MAX_FILE_BYTES = 16L * 1024 * 1024;
  /** A folder with more files than this is a mistake (or an attack); the rest are ignored. */
  static final int MAX_FILES = 10_000;

  private final Path dir;
  private final PolicyParser parser;
  private final PolicyStore store;
  private final Consumer<List<PolicyChange>> onChange;
  private final Consumer<String> onProblem;
  private final Map<String, FileStamp> stamps = new HashMap<>();
  /** The stamp each moved-but-not-yet-read file had at the last scan: it is read once that holds still. */
  private final Map<String, FileStamp> settling = new HashMap<>();
  private boolean firstScanDone;

  private record FileStamp(long mtimeNanos, long size) {}

  /**
   * @param onChange called, in the scanning thread and before {@link #scan} returns, with the
   *     files that changed, so that a caller that wrote a file sees its effect when scan returns
   * @param onProblem a folder-level problem (unreadable folder), for the log
   */
  public PolicyWatcher(
      Path dir,
      PolicyParser parser,
      PolicyStore store,
      Consumer<List<PolicyChange>> onChange,
      Consumer<String> onProblem) {
    this.dir = dir;
    this.parser = parser;
    this.store = store;
    this.onChange = onChange;
    this.onProblem = onProblem;
  }

  public Path dir() {
    return dir;
  }

  /** True when a file changed since it was last read and waits to hold still before it is read. */
  public synchronized boolean settling() {
    return !settling.isEmpty();
  }

  /** A periodic scan. */
  public List<PolicyChange> scan() {
    return scan(Set.of());
  }

  /**
   * Scans the folder; files named in {@code forceReread} are read again even if their mtime and
   * size look unchanged (the API just wrote them, possibly within the file system's timestamp
   * granularity and with the same size).
   */
  public List<PolicyChange> scan(Set<String> forceReread) {
    return scan(forceReread, Map.of());
  }

  /** A file's parse made by whoever wrote it, and the hash of the bytes it parsed. */
  public record Parsed(String hash, ParseResult result) {}

  /**
   * {@link #scan(Set)}, taking {@code parsed} (by file name) instead of parsing a file again when
   * the bytes read back have the hash it was made from.
   */
  public synchronized List<PolicyChange> scan(Set<String> forceReread, Map<String, Parsed> parsed) {
    TreeMap<String, FileStamp> present;
    try {
      present = list();
    } catch (IOException e) {
      // keep serving what we have: an unreadable folder is not an empty policy
      onProblem.accept("policy dir " + dir + " cannot be read (" + e + "); keeping the current policy");
      return List.of();
    }
    List<PolicyChange> changes = new ArrayList<>();
    for (Map.Entry<String, FileStamp> e : present.entrySet()) {
      String name = e.getKey();
      FileStamp stamp = e.getValue();
      if (stamp.equals(stamps.get(name)) && !forceReread.contains(name)) {
        settling.remove(name);
        continue;
      }
      // A file changed behind our back (an editor, kubectl cp, a ConfigMap swap) is read once its
      // size and mtime held still over one scan, so a file still being written is never parsed
      // half-way (a truncated multi-document file can parse as valid, with fewer resources). Costs
      // one settle interval (the control plane scans again 50 ms later); files the API writes (temp file, fsync, rename
      // into place: complete when they appear) are named in forceReread and read at once, and so
      // is every file of the first scan (there is nothing to serve until then).
      if (firstScanDone && !forceReread.contains(name) && !stamp.equals(settling.get(name))) {
        settling.put(name, stamp);
        continue;
      }
      settling.remove(name);
      PolicyChange change = load(name, stamp, parsed.get(name));
      if (change != null) {
        changes.add(change);
      }
    }
    for (String known : store.names()) {
      if (!present.containsKey(known)) {
        stamps.remove(known);
        PolicyChange removed = store.remove(known);
        if (removed != null) {
          changes.add(removed);
        }
      }
    }
    stamps.keySet().retainAll(present.keySet());
    settling.keySet().retainAll(present.keySet());
    firstScanDone = true;
    if (!changes.isEmpty()) {
      onChange.accept(List.copyOf(changes));
    }
    return changes;
  }

  private PolicyChange load(String name, FileStamp stamp, Parsed known) {
    Path file = dir.resolve(name);
    String text;
    byte[] bytes;
    if (stamp.size() > MAX_FILE_BYTES) {
      bytes = ("too large: " + stamp.size()).getBytes(StandardCharsets.UTF_8);
      text = null;
    } else {
      try {
        bytes = Files.readAllBytes(file);
      } catch (NoSuchFileException e) {
        return null; // deleted between listing and reading: the next scan sees it gone
      } catch (IOException e) {
        onProblem.accept("policy " + name + " cannot be read (" + e + "); will retry");
        return null;
      }
      text = new String(bytes, StandardCharsets.UTF_8);
    }
    stamps.put(name, stamp);
    String hash = Sha256.hex(bytes);
    if (hash.equals(store.contentHash(name))) {
      return null; // touched, not changed
    }
    ParseResult parsed =
        text == null ? tooLarge(name, stamp.size())
            : known != null && known.hash().equals(hash) ? known.result() : parser.parseYaml(name, text);
    return store.accept(name, hash, parsed);
  }

  private static ParseResult tooLarge(String name, long size) {
    return new ParseResult(
        name,
        List.of(),
        List.of(
            new Diagnostic(
                Severity.ERROR,
                name,
                0,
                null,
                null,
                "file is " + size + " bytes, more than the " + MAX_FILE_BYTES + " a policy file may have",
                "split it into several files")));
  }

  private TreeMap<String, FileStamp> list() throws IOException {
    TreeMap<String, FileStamp> out = new TreeMap<>();
    Files.createDirectories(dir);
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        if (out.size() >= MAX_FILES) {
          break;
        }
        String name = p.getFileName().toString();
        if (!PolicyFileNames.isPolicyFile(name)) {
          continue;
        }
        BasicFileAttributes attrs;
        try {
          attrs = Files.readAttributes(p, BasicFileAttributes.class); // follows symlinks, as ConfigMaps need
        } catch (IOException e) {
          continue; // vanished or a dangling link: not a policy file right now
        }
        if (attrs.isRegularFile()) {
          out.put(name, new FileStamp(attrs.lastModifiedTime().to(TimeUnit.NANOSECONDS), attrs.size()));
        }
      }
    }
    return out;
  }
}
