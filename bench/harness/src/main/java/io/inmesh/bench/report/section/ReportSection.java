package io.inmesh.bench.report.section;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A section of report.md fed by its own raw results: a JSON file {@code section-<anything>.json}
 * dropped next to the report, whose {@code "section"} field names the section. This is where
 * figures measured outside the main run join the report (retry amplification, control-plane scale)
 * and are rebuilt with it by {@code --report-only}.
 *
 * <p>Without code, a file is rendered by {@link TableSection} (title, command, intro, columns,
 * rows, notes). A section that needs more registers an implementation of this interface in {@code
 * META-INF/services/io.inmesh.bench.report.section.ReportSection}; its {@link #id()} claims the
 * files whose {@code "section"} equals it.
 */
public interface ReportSection {
  /** The {@code "section"} value of the files this renders. */
  String id();

  /** Appends the section (a {@code ## } heading and its body) for one file's data. */
  void render(JsonNode data, StringBuilder md);
}
