package io.inmesh.policy;

import io.inmesh.policy.diag.Diagnostic;
import io.inmesh.policy.model.PolicyResource;
import io.inmesh.policy.tree.Locations;
import io.inmesh.policy.tree.TreePaths;
import java.util.List;
import java.util.Map;

/**
 * One document of a policy file after validation.
 *
 * @param resource the bound resource, or null when the document has errors (or is ignored)
 * @param tree the document as plain data, what the control plane sends to agents
 * @param line the line where the document starts (0 when unknown, e.g. JSON from the wire)
 * @param locations the lines of the document's keys and items ({@link Locations#NONE} for JSON)
 */
public record ParsedResource(
    PolicyResource resource, Map<String, Object> tree, List<Diagnostic> diagnostics, int line, Locations locations) {

  public ParsedResource(PolicyResource resource, Map<String, Object> tree, List<Diagnostic> diagnostics) {
    this(resource, tree, diagnostics, 0, Locations.NONE);
  }

  public boolean ok() {
    return resource != null;
  }

  /**
   * The line of a field path such as {@code spec.http[0].route[1].destination.subset}: the nearest
   * line known along the path (the document's first line at worst).
   */
  public int lineOf(String path) {
    return TreePaths.line(tree, locations, path, line);
  }
}
