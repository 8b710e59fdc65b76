package io.inmesh.control.view;

/**
 * What a workload's view depends on: its namespace and the Sidecar that scopes it. Every agent
 * with the same key is served the same bytes, so views grow with Sidecars, not with agents.
 */
public record ViewKey(String namespace, String sidecar) {
  @Override
  public String toString() {
    return namespace + " via Sidecar " + sidecar;
  }
}
