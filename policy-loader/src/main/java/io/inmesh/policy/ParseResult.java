package io.inmesh.policy;

import io.inmesh.policy.diag.Diagnostic;
import io.inmesh.policy.diag.Diagnostics;
import java.util.ArrayList;
import java.util.List;

/** A parsed policy file: its resources and every finding (file-level and per resource). */
public record ParseResult(String file, List<ParsedResource> resources, List<Diagnostic> fileDiagnostics) {

  /** All findings, file-level first, then per resource in document order. */
  public List<Diagnostic> diagnostics() {
    List<Diagnostic> all = new ArrayList<>(fileDiagnostics);
    for (ParsedResource r : resources) {
      all.addAll(r.diagnostics());
    }
    return all;
  }

  public boolean hasErrors() {
    return Diagnostics.anyError(diagnostics());
  }
}
