package io.inmesh.control.api;

import io.inmesh.control.Sha256;
import io.inmesh.policy.files.AtomicFiles;
import io.inmesh.control.policy.PolicyFileNames;
import io.inmesh.control.policy.PolicyFileState;
import io.inmesh.control.policy.PolicyStore;
import io.inmesh.control.policy.PolicyWatcher;
import io.inmesh.control.policy.ServedResource;
import io.inmesh.control.snapshot.Snapshot;
import io.inmesh.control.snapshot.SnapshotService;
import io.inmesh.policy.ParseResult;
import io.inmesh.policy.PolicyParser;
import io.inmesh.policy.diag.Diagnostic;
import io.inmesh.policy.diag.DiagnosticJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Read, apply, delete and validate policy. Applying goes through the policy folder (write the file,
 * then reload), so the folder stays the one source of truth and a restart serves the same policy.
 * A document is judged by the same parser as the watcher's, before anything is written: an apply
 * that has an error changes nothing.
 */
public final class PolicyApi {

  private static final int MAX_BODY = 4 * 1024 * 1024;

  private final PolicyStore store;
  private final PolicyWatcher watcher;
  private final PolicyParser parser;
  private final SnapshotService snapshots;

  public PolicyApi(PolicyStore store, PolicyWatcher watcher, PolicyParser parser, SnapshotService snapshots) {
    this.store = store;
    this.watcher = watcher;
    this.parser = parser;
    this.snapshots = snapshots;
  }

  public void routes(ApiServer api) {
    api.route("GET", "/v1/policy", this::list)
        .route("POST", "/v1/policy", this::apply)
        .route("DELETE", "/v1/policy", this::delete)
        .route("POST", "/v1/validate", this::validate);
  }

  void list(HttpCall call) throws IOException {
    Snapshot current = snapshots.current();
    List<Object> files = new ArrayList<>();
    for (PolicyFileState f : store.files()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("file", f.name());
      m.put("status", f.rejected() ? "rejected" : "ok");
      m.put("servingLastGood", f.servingLastGood());
      m.put("resources", f.serving().stream().map(ServedResource::ref).map(Object::toString).toList());
      m.put("diagnostics", f.latest().diagnostics().stream().map(DiagnosticJson::toJson).toList());
      files.add(m);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("version", current.version());
    out.put("generation", current.generation());
    out.put("files", files);
    out.put("crossResource", store.crossResourceFindings().stream().map(DiagnosticJson::toJson).toList());
    call.json(200, out);
  }

  void apply(HttpCall call) throws IOException {
    String name = fileName(call);
    String text = call.bodyText(MAX_BODY);
    ParseResult parsed = parser.parseYaml(name, text);
    List<Diagnostic> diags = parsed.diagnostics();
    if (parsed.hasErrors()) {
      Map<String, Object> out = new LinkedHashMap<>();
      int n = DiagnosticJson.errors(diags).size();
      out.put("error", name + " has " + n + (n == 1 ? " error" : " errors") + "; nothing was changed");
      out.put("hint", "fix the lines listed in errors and apply again (POST /v1/validate checks without applying)");
      out.put("errors", DiagnosticJson.errors(diags));
      out.put("warnings", DiagnosticJson.warnings(diags));
      call.json(400, out);
      return;
    }
    // a document valid on its own may still clash with what is served (the same object in
    // another file, a second MeshConfig): such an apply changes nothing either
    List<Diagnostic> conflicts = store.crossResourceErrorsWith(name, parsed);
    if (!conflicts.isEmpty()) {
      Map<String, Object> out = new LinkedHashMap<>();
      int n = conflicts.size();
      out.put("error", name + " conflicts with the policy being served (" + n + (n == 1 ? " error" : " errors") + "); nothing was changed");
      out.put("hint", "fix the lines listed in errors and apply again (GET /v1/policy lists what is served)");
      out.put("errors", DiagnosticJson.errors(conflicts));
      out.put("warnings", DiagnosticJson.warnings(diags));
      call.json(400, out);
      return;
    }
    // the bytes that were validated are the bytes written (a body with invalid UTF-8 was decoded
    // with replacement characters, and that decoded text is what passed)
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    AtomicFiles.write(watcher.dir().resolve(name), bytes);
    // parsed once: the watcher takes this parse for the file it reads back, when its hash matches
    // (issue 9: a 1,000-resource file parsed twice was a third of an edit's time to the agents)
    watcher.scan(Set.of(name), Map.of(name, new PolicyWatcher.Parsed(Sha256.hex(bytes), parsed)));
    Snapshot s = snapshots.current();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("file", name);
    out.put("version", s.version());
    out.put("generation", s.generation());
    out.put("warnings", DiagnosticJson.warnings(withCrossResource(diags, name, store.crossResourceFindings())));
    call.json(200, out);
  }

  /** A file's own findings plus the cross-resource findings that point into it. */
  private static List<Diagnostic> withCrossResource(List<Diagnostic> own, String name, List<Diagnostic> cross) {
    List<Diagnostic> all = new ArrayList<>(own);
    for (Diagnostic d : cross) {
      if (name.equals(d.file())) {
        all.add(d);
      }
    }
    return all;
  }

  void delete(HttpCall call) throws IOException {
    String name = fileName(call);
    Path file = watcher.dir().resolve(name);
    if (!Files.deleteIfExists(file)) {
      throw new ApiException(404, "no policy file " + name, "GET /v1/policy lists the files");
    }
    watcher.scan();
    Snapshot s = snapshots.current();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("file", name);
    out.put("version", s.version());
    out.put("generation", s.generation());
    call.json(200, out);
  }

  void validate(HttpCall call) throws IOException {
    String name = call.query("file");
    if (name == null || name.isEmpty()) {
      name = "input.yaml";
    }
    ParseResult parsed = parser.parseYaml(name, call.bodyText(MAX_BODY));
    List<Diagnostic> diags = new ArrayList<>(parsed.diagnostics());
    if (!parsed.hasErrors()) {
      // judged against what is served, as an apply would be
      diags.addAll(store.crossResourceErrorsWith(name, parsed));
      for (Diagnostic d : store.crossResourceFindingsWith(name, parsed)) {
        if (!d.isError() && name.equals(d.file())) {
          diags.add(d);
        }
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("valid", DiagnosticJson.errors(diags).isEmpty());
    out.put("errors", DiagnosticJson.errors(diags));
    out.put("warnings", DiagnosticJson.warnings(diags));
    call.json(200, out);
  }

  private static String fileName(HttpCall call) {
    String name = call.query("file");
    String problem = PolicyFileNames.problemWithApiName(name);
    if (problem != null) {
      throw ApiException.badRequest(problem, "use ?file=NAME.yaml, e.g. ?file=canary.yaml");
    }
    return name;
  }
}
