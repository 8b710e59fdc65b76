package io.inmesh.smoke;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The README's support table is the one this run's smoke tests recorded (issue 14 item 5: "generated
 * from the matrix results, and CI fails when the committed table differs"). Runs once, after the
 * smoke tests ran on Java 17 and on Java 25 (its own surefire execution, last), over what each run
 * recorded ({@link SupportRecorder}); skipped when the run was a selection ({@code -Dtest=...}),
 * whose records are partial.
 *
 * <p>{@code -Dinmesh.support.update=true} writes the table into the README (review and commit it),
 * from whatever records {@code smoke-tests/target/support/} holds, even after a selection; it is
 * also at {@code smoke-tests/target/support.md}.
 */
class SupportTableCheck {

  static final ReadmeBlock BLOCK = new ReadmeBlock(SupportTable.BEGIN, SupportTable.END);
  /** The runs whose records make the table, with their column names. */
  static final Map<String, String> JAVAS = new LinkedHashMap<>();

  static {
    JAVAS.put("java17", "Java 17");
    JAVAS.put("java25", "Java 25");
  }

  @Test
  void readmeSupportTableIsWhatThisRunShowed() throws IOException {
    String selection = System.getProperty("inmesh.support.selection", "");
    boolean update = Boolean.getBoolean("inmesh.support.update");
    assumeTrue(update || selection.isEmpty() || selection.startsWith("${"), "a selection of tests ran (-Dtest=" + selection + "): its records are partial");
    Map<String, List<SupportRecorder.Outcome>> javas = new LinkedHashMap<>();
    for (Map.Entry<String, String> j : JAVAS.entrySet()) {
      assertThat(SupportRecorder.file(j.getKey()))
          .as("the smoke tests' records on " + j.getValue() + " (did the run on " + j.getValue() + " happen?)")
          .exists();
      javas.put(j.getValue(), SupportRecorder.read(j.getKey()));
    }
    String table = SupportTable.render(javas);
    Files.writeString(SupportRecorder.DIR.resolveSibling("support.md"), table);
    if (update) {
      BLOCK.write(table);
    }
    assertThat(BLOCK.read())
        .as("README.md's support table (between " + SupportTable.BEGIN + " and " + SupportTable.END
            + ") differs from what this run's smoke tests showed (smoke-tests/target/support.md; failures: "
            + SupportTable.failures(javas) + "). If the change is right, copy smoke-tests/target/support.md into the"
            + " README between the markers (or run the tests with -Dinmesh.support.update=true), review and commit it;"
            + " otherwise fix what failed")
        .isEqualTo(table.strip());
  }
}
