package io.inmesh.policy.diag;

/**
 * One finding about a policy document, precise enough to fix it without reading inmesh's code:
 * the file, the line, the resource ({@code kind namespace/name}) and the field path.
 *
 * @param line 1-based; 0 when unknown (documents that arrived as JSON)
 * @param resource e.g. {@code VirtualService default/usuario-service-routing}; null for
 *     file-level findings
 * @param path e.g. {@code spec.http[1].route[0].weight}; null for resource-level findings
 * @param hint what to do about it; null when the message says it all
 */
public record Diagnostic(
    Severity severity,
    String file,
    int line,
    String resource,
    String path,
    String message,
    String hint) {

  public boolean isError() {
    return severity == Severity.ERROR;
  }

  /** Compiler style: {@code file:line: level: resource: path: message}. */
  public String format() {
    StringBuilder sb = new StringBuilder(128);
    sb.append(file == null ? "<input>" : file);
    if (line > 0) {
      sb.append(':').append(line);
    }
    sb.append(": ").append(severity.label()).append(": ");
    if (resource != null) {
      sb.append(resource).append(": ");
    }
    if (path != null && !path.isEmpty()) {
      sb.append(path).append(": ");
    }
    sb.append(message);
    if (hint != null) {
      sb.append(" (hint: ").append(hint).append(')');
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return format();
  }
}
