package io.inmesh.control.policy;

import io.inmesh.policy.ParseResult;
import io.inmesh.policy.diag.Diagnostic;
import java.util.List;

/**
 * One policy file as the control plane sees it: its latest content and findings, and what it
 * serves. A rejected file keeps serving its last good content, so a typo never takes routes away.
 *
 * @param latest the parse of the current content on disk
 * @param serving the resources this file contributes to the snapshot (from the latest content when
 *     it is accepted, else from the last good one, else none)
 * @param hasLastGood whether some earlier content of this file was ever accepted
 */
public record PolicyFileState(
    String name, String contentHash, ParseResult latest, List<ServedResource> serving, boolean hasLastGood) {

  public boolean rejected() {
    return latest.hasErrors();
  }

  public boolean servingLastGood() {
    return rejected() && hasLastGood;
  }

  public List<Diagnostic> errors() {
    return latest.diagnostics().stream().filter(Diagnostic::isError).toList();
  }

  public List<Diagnostic> warnings() {
    return latest.diagnostics().stream().filter(d -> !d.isError()).toList();
  }
}
