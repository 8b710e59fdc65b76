package io.inmesh.policy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.policy.Policies;
import io.inmesh.policy.tree.JsonTrees;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ValidateCommandTest {

  @TempDir Path dir;

  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = ValidateCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void theSeedIsValidWithWarningsPrintedCompilerStyle() throws Exception {
    Path seed = Files.writeString(dir.resolve("canary.yaml"), Policies.resource("/seed/canary.yaml"));
    Run r = run(seed.toString());
    assertThat(r.code).isZero();
    assertThat(r.out.lines()).allSatisfy(l -> assertThat(l).matches(".*canary\\.yaml:\\d+: warning: .*"));
    assertThat(r.out).contains("canary.yaml:17: warning: VirtualService default/usuario-service-routing: spec.http[0].route[0].weight: a lone destination gets 100%");
    // its maxRequestsPerConnection is enforced now (ConnectionLifetimeSmokeTest): no warning for it
    assertThat(r.out).doesNotContain("maxRequestsPerConnection");
    assertThat(r.err).contains("1 file, 2 resources: 0 errors, 4 warnings");
  }

  @Test
  void aDirectoryIsReadInFileNameOrderAndErrorsExitNonZero() throws Exception {
    String vs = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: %s}\nspec:\n  hosts: [reviews]\n  http:\n  - route: [{destination: {host: reviews}, weight: %s}]\n";
    Files.writeString(dir.resolve("b.yaml"), vs.formatted("second", "100"));
    Files.writeString(dir.resolve("a.yaml"), vs.formatted("first", "100"));
    Files.createDirectories(dir.resolve("nested"));
    Files.writeString(dir.resolve("nested/c.yaml"), vs.formatted("broken", "\"a lot\""));
    Files.writeString(dir.resolve(".hidden.yaml"), "not: [valid");
    Files.writeString(dir.resolve("notes.txt"), "ignored");
    String d = dir.toString();
    Run r = run(d);
    assertThat(r.code).isEqualTo(ValidateCommand.EXIT_ERRORS);
    List<String> lines = r.out.lines().toList();
    assertThat(lines)
        .containsExactly(
            d + "/b.yaml:5: warning: VirtualService default/second: spec.hosts[0]: host reviews.default.svc.cluster.local is also"
                + " routed by VirtualService default/first (" + d + "/a.yaml:1); one VirtualService per host applies to sidecars:"
                + " the first by file name wins, default/first, and this one is ignored for reviews.default.svc.cluster.local"
                + " (hint: merge the rules into one VirtualService)",
            d + "/nested/c.yaml:7: error: VirtualService default/broken: spec.http[0].route[0].weight: must be an integer 0..100, got \"a lot\"");
    assertThat(r.err).contains("3 files, 2 resources: 1 error, 1 warning");
  }

  @Test
  @SuppressWarnings("unchecked")
  void jsonFormat() throws Exception {
    Path f = Files.writeString(dir.resolve("x.yaml"), "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: d}\nspec: {host: a, trafficPolicy: {loadBalancer: {simple: fast}}}\n");
    Run r = run("--format", "json", f.toString());
    assertThat(r.code).isEqualTo(1);
    Map<String, Object> doc = JsonTrees.readObject(r.out.getBytes(StandardCharsets.UTF_8));
    assertThat(doc).containsEntry("valid", false).containsEntry("files", 1);
    Map<String, Object> e = ((List<Map<String, Object>>) doc.get("errors")).get(0);
    assertThat(e)
        .containsEntry("line", 4)
        .containsEntry("resource", "DestinationRule default/d")
        .containsEntry("path", "spec.trafficPolicy.loadBalancer.simple")
        .containsEntry("severity", "error");
  }

  @Test
  void usageProblemsExitTwo() {
    assertThat(run().code).isEqualTo(2);
    assertThat(run("--format", "xml", "x.yaml").code).isEqualTo(2);
    assertThat(run("--bogus").code).isEqualTo(2);
    assertThat(run("--help").code).isZero();
    Run missing = run(dir.resolve("nope.yaml").toString());
    assertThat(missing.code).isEqualTo(1);
    assertThat(missing.out).contains("nope.yaml: error: no such file or directory");
  }
}
