package io.inmesh.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.temporal.ChronoUnit;
import java.util.Iterator;
import java.util.Map;

/**
 * Issue 7's retry-amplification line in the benchmark report: the figures {@code
 * RetryStormSmokeTest} measures on a chain of real JVMs (A → B → C → D, D down or failing one call
 * in three, with and without the application's own Resilience4j retry, under the mesh's default
 * retries and under {@code retryOn: 5xx} on every hop) and writes to {@value #SMOKE_FILE}, turned
 * into a {@code section-retry-amplification.json} beside the report (rendered as a table by
 * {@link io.inmesh.bench.report.section.TableSection}, kept by {@code --report-only}).
 *
 * <p>The chain is not re-run by {@code bench/run}: it is a behaviour, not a timing, and the smoke
 * test already runs it on Java 17 and 25. The section says which file and when.
 */
public final class RetryAmplification {
  public static final String SMOKE_FILE = "smoke-tests/target/retry-amplification.json";
  public static final String SECTION_FILE = "section-retry-amplification.json";
  static final String COMMAND = "mvn -pl smoke-tests -am verify -Dtest=RetryStormSmokeTest (the chain on Java 17 and on Java 25)";

  private RetryAmplification() {}

  /**
   * Writes the section into {@code outDir} from {@code root}'s smoke-test figures. Returns a note for
   * the report when there are none (the section is then left out).
   */
  public static String writeSection(Path root, Path outDir) throws IOException {
    Path smoke = root.resolve(SMOKE_FILE);
    if (!Files.isRegularFile(smoke)) {
      return "retry amplification: no figures in " + SMOKE_FILE + " (run " + COMMAND + " first; the report then carries them as a section)";
    }
    ObjectMapper json = new ObjectMapper();
    JsonNode figures = json.readTree(smoke.toFile());
    String measured = Files.getLastModifiedTime(smoke).toInstant().truncatedTo(ChronoUnit.SECONDS).toString();
    json.writerWithDefaultPrettyPrinter().writeValue(outDir.resolve(SECTION_FILE).toFile(), section(figures, measured));
    return null;
  }

  /** The table section for the smoke test's figures ({jvm label: {java, requestsPerScenario, rule, scenarios: [...]}}). */
  static ObjectNode section(JsonNode figures, String measuredAt) {
    ObjectMapper json = new ObjectMapper();
    ObjectNode s = json.createObjectNode();
    s.put("section", "retry-amplification");
    s.put("title", "Retry amplification (issue 7: no retry storms)");
    s.put("command", COMMAND);
    String rule = null;
    int requests = 0;
    ArrayNode rows = json.createArrayNode();
    for (Iterator<Map.Entry<String, JsonNode>> it = figures.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> run = it.next();
      rule = run.getValue().path("rule").asText(rule);
      requests = Math.max(requests, run.getValue().path("requestsPerScenario").asInt());
      for (JsonNode sc : run.getValue().path("scenarios")) {
        ArrayNode row = rows.addArray();
        row.add(run.getKey());
        row.add(sc.path("scenario").asText().equals("d-down") ? "down" : "fails 1 in 3");
        row.add(sc.path("policy").asText());
        row.add(sc.path("appRetry").asBoolean() ? "3 tries (Resilience4j)" : "none");
        row.add(sc.path("callsToDPerRequest").asDouble());
        row.add(sc.path("naiveCallsToDPerRequest").asDouble());
        row.add(sc.path("successPercent").asDouble());
      }
    }
    s.put(
        "intro",
        "A chain of unmodified JVMs A → B → C → D; B and C answer 502 when their callee fails; A's own code may retry 3 times"
            + " with Resilience4j. Per scenario " + requests + " sequential requests into A; D's calls counted by D. *naive* is"
            + " what layered retries would make of it (3 × 3 with the mesh's defaults, up to 81 with retryOn 5xx on every hop)."
            + " Figures of " + measuredAt + ".");
    ArrayNode columns = s.putArray("columns");
    for (String c : new String[] {"JVM", "D", "route policy (every hop)", "application retry", "calls to D per request", "naive layering", "success %"}) {
      columns.add(c);
    }
    s.set("rows", rows);
    ArrayNode notes = s.putArray("notes");
    notes.add("Required (issue 7): D down → at most 3.6 calls to D per request; D failing 1 in 3 → ≥ 90 % success without the application's"
        + " retry, ≥ 93 % with it at ≤ 1.75 calls to D per request.");
    if (rule != null) {
      notes.add("The rule: " + rule + ".");
    }
    return s;
  }
}
