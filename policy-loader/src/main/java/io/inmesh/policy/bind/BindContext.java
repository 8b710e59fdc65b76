package io.inmesh.policy.bind;

import io.inmesh.policy.diag.Diagnostic;
import io.inmesh.policy.diag.Severity;
import io.inmesh.policy.tree.Locations;
import java.util.ArrayList;
import java.util.List;

/** Where findings about one resource go, and what they name (file, resource). */
public final class BindContext {
  private final String file;
  private final Locations locations;
  private String resource;
  private final List<Diagnostic> diagnostics = new ArrayList<>();

  public BindContext(String file, Locations locations) {
    this.file = file;
    this.locations = locations;
  }

  public String file() {
    return file;
  }

  public Locations locations() {
    return locations;
  }

  /** Names the resource once metadata is read, e.g. {@code VirtualService default/reviews}. */
  public void resource(String resourceRef) {
    this.resource = resourceRef;
  }

  public String resource() {
    return resource;
  }

  public void error(int line, String path, String message, String hint) {
    diagnostics.add(new Diagnostic(Severity.ERROR, file, line, resource, path, message, hint));
  }

  public void warn(int line, String path, String message, String hint) {
    diagnostics.add(new Diagnostic(Severity.WARNING, file, line, resource, path, message, hint));
  }

  public List<Diagnostic> diagnostics() {
    return diagnostics;
  }

  public boolean hasErrors() {
    for (Diagnostic d : diagnostics) {
      if (d.isError()) {
        return true;
      }
    }
    return false;
  }
}
