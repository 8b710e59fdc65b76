package io.inmesh.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inmesh.bench.report.section.ReportSection;
import io.inmesh.bench.report.section.TableSection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Stream;

/** Renders every {@code section-*.json} beside the report, in file-name order, with the {@link ReportSection} that claims it. */
final class ExtraSections {
  static final String PREFIX = "section-";

  private ExtraSections() {}

  static void render(Path dir, StringBuilder md) throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.getFileName().toString().startsWith(PREFIX) && p.getFileName().toString().endsWith(".json")).sorted().toList();
    }
    if (files.isEmpty()) {
      return;
    }
    Map<String, ReportSection> byId = new HashMap<>();
    for (ReportSection r : ServiceLoader.load(ReportSection.class)) {
      byId.put(r.id(), r);
    }
    ReportSection table = new TableSection();
    ObjectMapper json = new ObjectMapper();
    for (Path f : files) {
      JsonNode d;
      try {
        d = json.readTree(f.toFile());
      } catch (IOException e) {
        throw new IOException(f + " is not valid JSON: " + e.getMessage(), e);
      }
      byId.getOrDefault(d.path("section").asText(""), table).render(d, md);
      md.append("*(section from `").append(f.getFileName()).append("`)*\n\n");
    }
  }
}
