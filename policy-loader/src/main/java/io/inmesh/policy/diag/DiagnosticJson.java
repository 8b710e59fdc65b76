package io.inmesh.policy.diag;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A policy finding as JSON: the parts for tools, and {@code text} (compiler style) for humans. */
public final class DiagnosticJson {

  private DiagnosticJson() {}

  public static Map<String, Object> toJson(Diagnostic d) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("severity", d.severity().label());
    m.put("file", d.file());
    m.put("line", d.line());
    m.put("resource", d.resource());
    m.put("path", d.path());
    m.put("message", d.message());
    m.put("hint", d.hint());
    m.put("text", d.format());
    return m;
  }

  public static List<Object> errors(List<Diagnostic> ds) {
    return list(ds, true);
  }

  public static List<Object> warnings(List<Diagnostic> ds) {
    return list(ds, false);
  }

  private static List<Object> list(List<Diagnostic> ds, boolean errors) {
    List<Object> out = new ArrayList<>();
    for (Diagnostic d : ds) {
      if (d.isError() == errors) {
        out.add(toJson(d));
      }
    }
    return out;
  }
}
