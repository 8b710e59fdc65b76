package io.inmesh.policy.diag;

/** How bad a finding is: errors reject a document, warnings never do. */
public enum Severity {
  ERROR,
  WARNING;

  public String label() {
    return this == ERROR ? "error" : "warning";
  }
}
