package io.inmesh.bench.report.section;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The default rendering of an extra section file:
 *
 * <pre>
 * {"section": "retry-amplification", "title": "Retry amplification",
 *  "command": "bench/run-retries --quick", "intro": "What was measured and how.",
 *  "columns": ["policy", "attempts per call"], "rows": [["retries 3", 1.02]],
 *  "notes": ["a line", "another"]}
 * </pre>
 */
public final class TableSection implements ReportSection {
  @Override
  public String id() {
    return "table";
  }

  @Override
  public void render(JsonNode d, StringBuilder md) {
    md.append("## ").append(text(d, "title", d.path("section").asText("extra section"))).append("\n\n");
    if (d.hasNonNull("intro")) {
      md.append(d.get("intro").asText()).append("\n\n");
    }
    if (d.hasNonNull("command")) {
      md.append("Measured with `").append(d.get("command").asText()).append("`.\n\n");
    }
    JsonNode columns = d.path("columns");
    if (columns.isArray() && columns.size() > 0) {
      md.append('|');
      columns.forEach(c -> md.append(' ').append(cell(c)).append(" |"));
      md.append("\n|");
      columns.forEach(c -> md.append("---|"));
      md.append('\n');
      for (JsonNode row : d.path("rows")) {
        md.append('|');
        for (int i = 0; i < columns.size(); i++) {
          md.append(' ').append(cell(row.path(i))).append(" |");
        }
        md.append('\n');
      }
      md.append('\n');
    }
    for (JsonNode n : d.path("notes")) {
      md.append("- ").append(n.asText()).append('\n');
    }
    if (d.path("notes").size() > 0) {
      md.append('\n');
    }
  }

  private static String text(JsonNode d, String field, String otherwise) {
    return d.hasNonNull(field) ? d.get(field).asText() : otherwise;
  }

  private static String cell(JsonNode v) {
    if (v.isMissingNode() || v.isNull()) {
      return "–";
    }
    if (v.isFloatingPointNumber()) {
      double x = v.asDouble();
      return Math.abs(x) >= 100 ? String.format("%.0f", x) : String.format("%.2f", x);
    }
    return v.asText().replace("|", "/");
  }
}
