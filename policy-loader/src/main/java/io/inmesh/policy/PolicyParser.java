package io.inmesh.policy;

import io.inmesh.policy.bind.BindContext;
import io.inmesh.policy.bind.Cursor;
import io.inmesh.policy.bind.ResourceBinders;
import io.inmesh.policy.diag.Diagnostic;
import io.inmesh.policy.diag.Severity;
import io.inmesh.policy.tree.Document;
import io.inmesh.policy.tree.Locations;
import io.inmesh.policy.tree.YamlTrees;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Istio YAML → validated resources. The same binding runs in {@code ./inmesh validate}, in the
 * control plane (files and API) and in the agent (on every snapshot it receives), so a document is
 * judged the same way everywhere.
 */
public final class PolicyParser {

  private final String defaultNamespace;
  /** The control plane's --trust-domain when it issues identities; null: any trust domain is accepted. */
  private final String expectedTrustDomain;

  public PolicyParser(String defaultNamespace) {
    this(defaultNamespace, null);
  }

  /**
   * A parser that rejects a MeshConfig whose {@code trustDomain} disagrees with {@code
   * expectedTrustDomain}: the CA issues identities in one trust domain, and policy that assumes
   * another would silently match no peer.
   */
  public PolicyParser(String defaultNamespace, String expectedTrustDomain) {
    this.defaultNamespace = defaultNamespace == null ? "default" : defaultNamespace;
    this.expectedTrustDomain = expectedTrustDomain;
  }

  public PolicyParser() {
    this("default");
  }

  /** Parses every document of a YAML file. A syntax error rejects the whole file. */
  public ParseResult parseYaml(String file, String text) {
    YamlTrees.Result read = YamlTrees.read(file, text);
    List<Diagnostic> fileDiags = new ArrayList<>(read.problems());
    List<ParsedResource> resources = new ArrayList<>();
    if (!read.problems().isEmpty()
        && read.problems().stream().anyMatch(d -> d.severity() == Severity.ERROR)) {
      return new ParseResult(file, resources, fileDiags);
    }
    for (Document doc : read.documents()) {
      collect(file, doc.root(), doc.locations(), doc.line(), resources, fileDiags);
    }
    if (resources.isEmpty() && fileDiags.isEmpty()) {
      fileDiags.add(new Diagnostic(Severity.WARNING, file, 0, null, null, "no resources in this file", null));
    }
    return new ParseResult(file, resources, fileDiags);
  }

  /** Binds a resource that arrived as a plain tree (JSON from the control plane). */
  public ParsedResource bind(String file, Map<String, Object> tree) {
    return bindOne(file, tree, Locations.NONE, 0);
  }

  @SuppressWarnings("unchecked")
  private void collect(
      String file, Object root, Locations loc, int line, List<ParsedResource> out, List<Diagnostic> fileDiags) {
    if (!(root instanceof Map)) {
      fileDiags.add(
          new Diagnostic(
              Severity.ERROR,
              file,
              line,
              null,
              null,
              "a document must be a mapping with apiVersion, kind, metadata and spec",
              null));
      return;
    }
    Map<String, Object> map = (Map<String, Object>) root;
    // kubectl's "kind: List" wrapper (what `kubectl get -o yaml` prints)
    if ("List".equals(map.get("kind")) && map.get("items") instanceof List<?> items) {
      for (int i = 0; i < items.size(); i++) {
        int l = loc.lineOfItem(items, i);
        collect(file, items.get(i), loc, l == 0 ? line : l, out, fileDiags);
      }
      return;
    }
    out.add(bindOne(file, map, loc, line));
  }

  private ParsedResource bindOne(String file, Map<String, Object> tree, Locations loc, int line) {
    BindContext ctx = new BindContext(file, loc);
    Cursor root = Cursor.root(tree, "", line, ctx);
    var resource = ResourceBinders.bind(root, defaultNamespace);
    if (expectedTrustDomain != null
        && resource instanceof io.inmesh.policy.model.MeshConfig
        && tree.get("spec") instanceof Map<?, ?> spec
        && spec.get("trustDomain") instanceof String td
        && !td.equals(expectedTrustDomain)) {
      ctx.error(
          loc.lineOfKey(spec, "trustDomain") > 0 ? loc.lineOfKey(spec, "trustDomain") : line,
          "spec.trustDomain",
          "trustDomain \"" + td + "\" disagrees with the control plane's --trust-domain " + expectedTrustDomain
              + " (the CA issues identities in " + expectedTrustDomain + ")",
          "remove trustDomain, set it to " + expectedTrustDomain + ", or restart the control plane with --trust-domain " + td);
    }
    if (ctx.hasErrors()) {
      resource = null;
    }
    return new ParsedResource(resource, tree, List.copyOf(ctx.diagnostics()), line, loc);
  }
}
