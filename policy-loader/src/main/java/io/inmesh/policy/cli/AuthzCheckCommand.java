package io.inmesh.policy.cli;

import io.inmesh.policy.ParseResult;
import io.inmesh.policy.ParsedResource;
import io.inmesh.policy.PolicyParser;
import io.inmesh.policy.authz.AuthorizationDecision;
import io.inmesh.policy.authz.AuthorizationEvaluator;
import io.inmesh.policy.authz.AuthorizationRequest;
import io.inmesh.policy.compile.Workload;
import io.inmesh.policy.diag.Diagnostic;
import io.inmesh.policy.model.MeshConfig;
import io.inmesh.policy.model.PolicyResource;
import io.inmesh.policy.tree.JsonTrees;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code inmesh authz check}: what authorization would decide for one request, from a policy
 * folder, with exactly the evaluator the agents run ({@link AuthorizationEvaluator}). The first
 * line is {@code allow} or {@code deny}; then the policy and rule behind it.
 */
public final class AuthzCheckCommand {
  public static final int EXIT_ALLOW = 0;
  public static final int EXIT_DENY = 1;
  public static final int EXIT_USAGE = 2;

  public static final String USAGE =
      """
      Usage: inmesh authz check --policy-dir DIR --from PRINCIPAL --to SERVICE [options]

      Prints allow or deny on its first line, then the policy and rule that decided, as the agents
      of SERVICE would decide a request from PRINCIPAL (e.g. cluster.local/ns/default/sa/pedido-service;
      "none" for a plain-text caller). Exit status: 0 allow, 1 deny, 2 usage or unreadable policies.

        --namespace NS       the destination workload's namespace (default "default")
        --label K=V          a label of the destination workload (repeatable; app=SERVICE is implied)
        --method M           request method (default GET)
        --path P             request path (default /)
        --header K=V         a request header (repeatable)
        --source-ip IP       the caller's address (default 127.0.0.1)
        --port N             destination port (default 8080)
        --format text|json   output style (default text)
      """;

  private AuthzCheckCommand() {}

  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0 || !args[0].equals("check")) {
      return usage(err, args.length == 0 ? "name a subcommand: check" : "unknown subcommand " + args[0]);
    }
    String dir = null;
    String from = null;
    String to = null;
    String namespace = "default";
    String method = "GET";
    String path = "/";
    String sourceIp = "127.0.0.1";
    String format = "text";
    int port = 8080;
    Map<String, String> labels = new LinkedHashMap<>();
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < args.length; i++) {
      String a = args[i];
      if (a.equals("-h") || a.equals("--help")) {
        out.print(USAGE);
        return EXIT_ALLOW;
      }
      if (!a.startsWith("--") || i + 1 >= args.length) {
        return usage(err, a.startsWith("--") ? a + " needs a value" : "unexpected argument " + a);
      }
      String v = args[++i];
      switch (a) {
        case "--policy-dir" -> dir = v;
        case "--from" -> from = v;
        case "--to" -> to = v;
        case "--namespace" -> namespace = v;
        case "--method" -> method = v.toUpperCase(Locale.ROOT);
        case "--path" -> path = v;
        case "--source-ip" -> sourceIp = v;
        case "--format" -> format = v;
        case "--port" -> {
          try {
            port = Integer.parseInt(v);
          } catch (NumberFormatException e) {
            return usage(err, "--port must be a number, not " + v);
          }
        }
        case "--label", "--header" -> {
          int eq = v.indexOf('=');
          if (eq <= 0) {
            return usage(err, a + " takes K=V, not " + v);
          }
          (a.equals("--label") ? labels : headers).put(v.substring(0, eq).trim(), v.substring(eq + 1));
        }
        default -> {
          return usage(err, "unknown option " + a);
        }
      }
    }
    if (dir == null || from == null || to == null) {
      return usage(err, "--policy-dir, --from and --to are required");
    }
    if (!format.equals("text") && !format.equals("json")) {
      return usage(err, "--format must be text or json, not " + format);
    }
    labels.putIfAbsent("app", to);

    // the policies, read as the control plane reads a folder; a file with errors contributes nothing
    List<Diagnostic> problems = new ArrayList<>();
    TreeMap<String, Path> files = new TreeMap<>();
    ValidateCommand.collect(dir, files, problems);
    if (!problems.isEmpty()) {
      problems.forEach(d -> err.println(d.format()));
      return EXIT_USAGE;
    }
    PolicyParser parser = new PolicyParser(namespace);
    List<PolicyResource> resources = new ArrayList<>();
    String rootNamespace = MeshConfig.DEFAULT_ROOT_NAMESPACE;
    for (Map.Entry<String, Path> e : files.entrySet()) {
      ParseResult r = ValidateCommand.read(parser, e.getKey(), e.getValue());
      if (r.hasErrors()) {
        err.println("inmesh authz: " + e.getKey() + " has errors and is left out, as the control plane would (see inmesh validate)");
        continue;
      }
      for (ParsedResource pr : r.resources()) {
        if (pr.ok()) {
          resources.add(pr.resource());
          if (pr.resource() instanceof MeshConfig m && m.rootNamespace() != null) {
            rootNamespace = m.rootNamespace();
          }
        }
      }
    }
    AuthorizationEvaluator evaluator = AuthorizationEvaluator.forWorkload(resources, new Workload(to, namespace, labels), rootNamespace);
    Map<String, String> lowered = new LinkedHashMap<>();
    headers.forEach((k, v) -> lowered.put(k.toLowerCase(Locale.ROOT), v));
    String host = lowered.getOrDefault("host", to);
    String principal = from.equalsIgnoreCase("none") ? null : from;
    AuthorizationRequest request = new AuthorizationRequest.Simple(method, host, port, path, Map.copyOf(lowered), principal, sourceIp);
    AuthorizationDecision d = evaluator.active() ? evaluator.evaluate(request) : new AuthorizationDecision(true, null, "no policy applies to " + namespace + "/" + to, false);

    if (format.equals("json")) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("decision", d.allowed() ? "allow" : "deny");
      doc.put("policy", d.policy());
      doc.put("rule", d.rule() < 0 ? null : d.rule());
      doc.put("reason", d.reason());
      doc.put("auditPolicy", d.auditPolicy() == null || d.auditPolicy().isEmpty() ? null : d.auditPolicy());
      doc.put("policiesApplying", evaluator.policies());
      out.println(JsonTrees.writePretty(doc));
    } else {
      out.println(d.allowed() ? "allow" : "deny");
      if (d.policy() != null) {
        out.println("policy: " + d.policy() + (d.rule() >= 0 ? " rule " + d.rule() : ""));
      }
      out.println("reason: " + d.reason());
      if (d.audit() && d.auditPolicy() != null && !d.auditPolicy().isEmpty()) {
        out.println("audited by: " + d.auditPolicy());
      }
      out.println("policies applying to " + namespace + "/" + to + ": " + (evaluator.policies().isEmpty() ? "none" : String.join(", ", evaluator.policies())));
    }
    return d.allowed() ? EXIT_ALLOW : EXIT_DENY;
  }

  private static int usage(PrintStream err, String problem) {
    err.println("inmesh authz: " + problem);
    err.println();
    err.print(USAGE);
    return EXIT_USAGE;
  }
}
