package io.inmesh.policy.cli;

import io.inmesh.policy.ParseResult;
import io.inmesh.policy.ParsedResource;
import io.inmesh.policy.PolicyParser;
import io.inmesh.policy.diag.Diagnostic;
import io.inmesh.policy.diag.DiagnosticJson;
import io.inmesh.policy.diag.Severity;
import io.inmesh.policy.tree.JsonTrees;
import io.inmesh.policy.validate.PolicySetValidator;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * {@code inmesh validate [--format text|json] [--namespace NS] FILE|DIR...}: judges policy files
 * exactly as the control plane and the agents do (the same parser and binder, then the
 * cross-resource checks of {@link PolicySetValidator}) and prints the findings compiler-style,
 * {@code file:line: level: resource: field: message}. Exit status: 0 without errors (warnings
 * allowed), 1 with errors, 2 for a usage problem.
 *
 * <p>Files are taken in path order, the order the control plane serves a folder in, so "the first
 * by file name wins" means the same here and there. A directory contributes its {@code .yaml} and
 * {@code .yml} files (recursively), skipping hidden and backup files as the control plane does.
 */
public final class ValidateCommand {

  public static final int EXIT_OK = 0;
  public static final int EXIT_ERRORS = 1;
  public static final int EXIT_USAGE = 2;

  /** The control plane refuses bigger files too. */
  static final long MAX_FILE_BYTES = 16L * 1024 * 1024;
  private static final int MAX_FILES = 10_000;

  public static final String USAGE =
      """
      Usage: inmesh validate [--format text|json] [--namespace NS] FILE|DIR...

      Checks Istio policy files (VirtualService, DestinationRule, ServiceEntry, PeerAuthentication,
      AuthorizationPolicy) and inmesh's MeshConfig the way the control plane will, and prints every
      finding as file:line: level: resource: field: message. Directories are read recursively
      (*.yaml, *.yml). Exit status: 0 valid (warnings allowed), 1 errors, 2 usage.

        --format text|json  output style (default text)
        --namespace NS      namespace of resources that name none (default "default")
      """;

  private ValidateCommand() {}

  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    System.exit(code);
  }

  public static int run(String[] args, PrintStream out, PrintStream err) {
    String format = "text";
    String namespace = "default";
    List<String> targets = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "-h", "--help", "help" -> {
          out.print(USAGE);
          return EXIT_OK;
        }
        case "--format", "--namespace" -> {
          if (i + 1 >= args.length) {
            return usage(err, a + " needs a value");
          }
          String v = args[++i];
          if (a.equals("--format")) {
            format = v;
          } else {
            namespace = v;
          }
        }
        default -> {
          if (a.startsWith("--format=")) {
            format = a.substring("--format=".length());
          } else if (a.startsWith("--namespace=")) {
            namespace = a.substring("--namespace=".length());
          } else if (a.startsWith("-") && !a.equals("-")) {
            return usage(err, "unknown option " + a);
          } else {
            targets.add(a);
          }
        }
      }
    }
    if (!format.equals("text") && !format.equals("json")) {
      return usage(err, "--format must be text or json, not " + format);
    }
    if (targets.isEmpty()) {
      return usage(err, "name at least one file or directory");
    }

    List<Diagnostic> problems = new ArrayList<>();
    TreeMap<String, Path> files = new TreeMap<>();
    for (String t : targets) {
      collect(t, files, problems);
    }
    PolicyParser parser = new PolicyParser(namespace);
    List<ParseResult> results = new ArrayList<>();
    for (Map.Entry<String, Path> e : files.entrySet()) {
      results.add(read(parser, e.getKey(), e.getValue()));
    }
    List<Diagnostic> all = new ArrayList<>(problems);
    List<ParseResult> loadable = new ArrayList<>();
    int resources = 0;
    for (ParseResult r : results) {
      all.addAll(r.diagnostics());
      for (ParsedResource pr : r.resources()) {
        if (pr.ok()) {
          resources++;
        }
      }
      if (!r.hasErrors()) {
        loadable.add(r); // as in the control plane, a file with errors contributes nothing
      }
    }
    all.addAll(PolicySetValidator.validateFiles(loadable));
    all = ordered(all, files);
    long errors = all.stream().filter(Diagnostic::isError).count();
    long warnings = all.size() - errors;
    if (format.equals("json")) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("valid", errors == 0);
      doc.put("files", files.size());
      doc.put("resources", resources);
      doc.put("errors", json(all, true));
      doc.put("warnings", json(all, false));
      out.println(JsonTrees.writePretty(doc));
    } else {
      for (Diagnostic d : all) {
        out.println(d.format());
      }
      err.println(
          "inmesh validate: " + count(files.size(), "file") + ", " + count(resources, "resource") + ": "
              + count(errors, "error") + ", " + count(warnings, "warning"));
    }
    return errors > 0 ? EXIT_ERRORS : EXIT_OK;
  }

  private static int usage(PrintStream err, String problem) {
    err.println("inmesh validate: " + problem);
    err.println();
    err.print(USAGE);
    return EXIT_USAGE;
  }

  private static String count(long n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }

  static void collect(String target, TreeMap<String, Path> files, List<Diagnostic> problems) {
    Path p = Paths.get(target);
    if (!Files.exists(p)) {
      problems.add(new Diagnostic(Severity.ERROR, target, 0, null, null, "no such file or directory", null));
      return;
    }
    if (!Files.isDirectory(p)) {
      files.put(target, p);
      return;
    }
    String prefix = target.endsWith("/") ? target : target + "/";
    try (Stream<Path> walk = Files.walk(p, 32, FileVisitOption.FOLLOW_LINKS)) {
      walk.filter(Files::isRegularFile)
          .filter(f -> isPolicyFile(p.relativize(f)))
          .limit(MAX_FILES)
          .forEach(f -> files.put(prefix + p.relativize(f).toString().replace('\\', '/'), f));
    } catch (IOException | RuntimeException e) {
      problems.add(new Diagnostic(Severity.ERROR, target, 0, null, null, "cannot read the directory: " + e.getMessage(), null));
    }
  }

  /** What the control plane serves from a folder: no hidden or backup files, .yaml / .yml only. */
  static boolean isPolicyFile(Path relative) {
    for (Path part : relative) {
      if (part.toString().startsWith(".")) {
        return false;
      }
    }
    String name = relative.getFileName().toString();
    return !name.endsWith("~") && (name.endsWith(".yaml") || name.endsWith(".yml"));
  }

  static ParseResult read(PolicyParser parser, String name, Path file) {
    try {
      long size = Files.size(file);
      if (size > MAX_FILE_BYTES) {
        return failed(name, "file is " + size + " bytes, more than the " + MAX_FILE_BYTES + " a policy file may have");
      }
      return parser.parseYaml(name, new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
    } catch (IOException e) {
      return failed(name, "cannot read: " + e.getMessage());
    }
  }

  private static ParseResult failed(String name, String why) {
    return new ParseResult(name, List.of(), List.of(new Diagnostic(Severity.ERROR, name, 0, null, null, why, null)));
  }

  /** File order (as served), then line; findings keep their relative order otherwise. */
  private static List<Diagnostic> ordered(List<Diagnostic> all, TreeMap<String, Path> files) {
    Map<String, Integer> rank = new LinkedHashMap<>();
    int i = 0;
    for (String f : files.keySet()) {
      rank.put(f, i++);
    }
    List<Diagnostic> sorted = new ArrayList<>(all);
    sorted.sort(
        (a, b) -> {
          int ra = rank.getOrDefault(a.file(), -1);
          int rb = rank.getOrDefault(b.file(), -1);
          if (ra != rb) {
            return Integer.compare(ra, rb);
          }
          return Integer.compare(a.line(), b.line());
        });
    return sorted;
  }

  private static List<Object> json(List<Diagnostic> ds, boolean errors) {
    return errors ? DiagnosticJson.errors(ds) : DiagnosticJson.warnings(ds);
  }
}
