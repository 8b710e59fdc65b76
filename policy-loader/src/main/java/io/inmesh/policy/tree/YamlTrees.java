package io.inmesh.policy.tree;

import io.inmesh.policy.diag.Diagnostic;
import io.inmesh.policy.diag.Severity;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads YAML (one or many documents, {@code ---} separated) into plain trees while keeping the line
 * of every key and list item, so that a finding can point at the line to fix. Scalars follow YAML
 * 1.1 as Kubernetes does ({@code weight: 10} is a number, {@code exact: "true"} a string).
 */
public final class YamlTrees {

  private static final int MAX_ALIASES = 50;

  private YamlTrees() {}

  /** The documents of a file, or a syntax error; empty documents are skipped. */
  public static Result read(String file, String text) {
    LoaderOptions options = new LoaderOptions();
    options.setMaxAliasesForCollections(MAX_ALIASES); // no billion-laughs
    options.setAllowDuplicateKeys(true); // we report duplicates ourselves, with the line
    options.setCodePointLimit(16 * 1024 * 1024);
    options.setNestingDepthLimit(100);
    Yaml yaml = new Yaml(options);
    ScalarConstructor scalars = new ScalarConstructor(options);
    List<Document> docs = new ArrayList<>();
    List<Diagnostic> problems = new ArrayList<>();
    try {
      for (Node node : yaml.composeAll(new StringReader(text))) {
        if (node == null) {
          continue;
        }
        Locations loc = new Locations();
        Object root = convert(node, loc, scalars, file, problems, 0);
        if (root == null) {
          continue;
        }
        docs.add(new Document(root, loc, line(node.getStartMark())));
      }
    } catch (MarkedYAMLException e) {
      Mark m = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      problems.add(
          new Diagnostic(
              Severity.ERROR,
              file,
              m == null ? 0 : line(m),
              null,
              null,
              "YAML syntax error: " + oneLine(e.getProblem() != null ? e.getProblem() : e.getMessage()),
              "check indentation and quoting around this line"));
    } catch (YAMLException | IllegalArgumentException e) {
      problems.add(
          new Diagnostic(Severity.ERROR, file, 0, null, null, "YAML error: " + oneLine(e.getMessage()), null));
    }
    return new Result(docs, problems);
  }

  /** The documents of a file and any syntax errors (which reject the whole file). */
  public record Result(List<Document> documents, List<Diagnostic> problems) {}

  private static Object convert(
      Node node, Locations loc, ScalarConstructor scalars, String file, List<Diagnostic> problems, int depth) {
    if (node instanceof MappingNode mapping) {
      Map<String, Object> map = new LinkedHashMap<>();
      Map<String, Integer> keyLines = new HashMap<>();
      loc.container(map, line(node.getStartMark()));
      for (NodeTuple t : mapping.getValue()) {
        Node k = t.getKeyNode();
        String key = k instanceof ScalarNode s ? s.getValue() : String.valueOf(convert(k, loc, scalars, file, problems, depth + 1));
        if (map.containsKey(key)) {
          problems.add(
              new Diagnostic(
                  Severity.ERROR,
                  file,
                  line(k.getStartMark()),
                  null,
                  null,
                  "duplicate key \"" + key + "\" (first at line " + keyLines.get(key) + ")",
                  "a key may appear once per mapping; Kubernetes rejects duplicates too"));
          continue;
        }
        keyLines.put(key, line(k.getStartMark()));
        map.put(key, convert(t.getValueNode(), loc, scalars, file, problems, depth + 1));
      }
      loc.key(map, keyLines);
      return map;
    }
    if (node instanceof SequenceNode seq) {
      List<Node> items = seq.getValue();
      List<Object> list = new ArrayList<>(items.size());
      int[] lines = new int[items.size()];
      loc.container(list, line(node.getStartMark()));
      for (int i = 0; i < items.size(); i++) {
        lines[i] = line(items.get(i).getStartMark());
        list.add(convert(items.get(i), loc, scalars, file, problems, depth + 1));
      }
      loc.items(list, lines);
      return list;
    }
    if (node instanceof ScalarNode scalar) {
      return scalars.scalar(scalar);
    }
    return null;
  }

  private static int line(Mark m) {
    return m == null ? 0 : m.getLine() + 1;
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.replace('\n', ' ').trim();
  }

  /** Resolves scalars with SnakeYAML's safe YAML 1.1 rules (ints, floats, bools, nulls). */
  private static final class ScalarConstructor extends SafeConstructor {
    ScalarConstructor(LoaderOptions options) {
      super(options);
    }

    Object scalar(ScalarNode node) {
      try {
        return constructObject(node);
      } catch (RuntimeException e) {
        return node.getValue(); // an odd scalar (e.g. a timestamp) stays text; the binder judges it
      }
    }
  }
}
