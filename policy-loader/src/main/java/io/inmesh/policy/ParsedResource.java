package io.inmesh.policy;

import io.inmesh.policy.diag.Diagnostic;
import io.inmesh.policy.model.PolicyResource;
import java.util.List;
import java.util.Map;

/**
 * One document of a policy file after validation.
 *
 * @param resource the bound resource, or null when the document has errors (or is ignored)
 * @param tree the document as plain data, what the control plane sends to agents
 */
public record ParsedResource(PolicyResource resource, Map<String, Object> tree, List<Diagnostic> diagnostics) {
  public boolean ok() {
    return resource != null;
  }
}
