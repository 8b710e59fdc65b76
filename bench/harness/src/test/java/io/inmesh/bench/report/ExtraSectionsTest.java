package io.inmesh.bench.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExtraSectionsTest {

  @Test
  void aSectionFileBesideTheReportBecomesATable(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("section-retry-amplification.json"), """
        {"section": "retry-amplification", "title": "Retry amplification", "command": "bench/run --retries",
         "columns": ["policy", "attempts per call"], "rows": [["attempts: 3", 1.0234], ["none", 1]],
         "notes": ["backend fails 1 % of calls"]}
        """);
    Files.writeString(dir.resolve("results.json"), "{}");
    StringBuilder md = new StringBuilder();
    ExtraSections.render(dir, md);
    assertThat(md.toString())
        .contains("## Retry amplification")
        .contains("Measured with `bench/run --retries`.")
        .contains("| policy | attempts per call |\n|---|---|\n| attempts: 3 | 1.02 |\n| none | 1 |")
        .contains("- backend fails 1 % of calls")
        .contains("(section from `section-retry-amplification.json`)");
  }

  @Test
  void noSectionFilesNoOutput(@TempDir Path dir) throws IOException {
    StringBuilder md = new StringBuilder();
    ExtraSections.render(dir, md);
    assertThat(md).isEmpty();
  }

  @Test
  void aBrokenFileIsNamed(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("section-scale.json"), "{not json");
    assertThatThrownBy(() -> ExtraSections.render(dir, new StringBuilder())).hasMessageContaining("section-scale.json is not valid JSON");
  }
}
