package io.inmesh.policy.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.inmesh.policy.ParseResult;
import io.inmesh.policy.ParsedResource;
import io.inmesh.policy.PolicyParser;
import io.inmesh.policy.Policies;
import io.inmesh.policy.Req;
import io.inmesh.policy.authz.AuthorizationRequest;
import io.inmesh.policy.compile.Endpoint;
import io.inmesh.policy.compile.MeshSnapshot;
import io.inmesh.policy.compile.RouteTable;
import io.inmesh.policy.compile.ServiceKey;
import io.inmesh.policy.compile.Workload;
import io.inmesh.policy.diag.Diagnostic;
import io.inmesh.policy.model.PolicyResource;
import io.inmesh.policy.tree.JsonTrees;
import io.inmesh.policy.validate.PolicySetValidator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * A seeded property test: valid documents (one of every kind, most fields set) are mutated at
 * random, {@value #DEFAULT_CASES} times per run, and each mutant goes through everything a policy
 * goes through (bind, YAML for some, cross-resource validation, compile, route decisions,
 * authorization). Properties:
 *
 * <ul>
 *   <li>nothing but findings ever comes out: no exception from parse, bind or compile;
 *   <li>no document hangs (a generous per-document bound, a hang guard, not a speed check);
 *   <li>a document given a wrongly typed value in a field whose type is known is never accepted.
 * </ul>
 *
 * Reproduce a failure with {@code -Dinmesh.fuzz.seed=N -Dinmesh.fuzz.cases=M} (both printed).
 */
class PolicyFuzzTest {

  static final int DEFAULT_CASES = 10_000;
  static final Duration HANG_GUARD = Duration.ofSeconds(2);

  static final Workload WORKLOAD = new Workload("productpage", "shop", Map.of("app", "productpage"));
  static final Map<ServiceKey, List<Endpoint>> SERVICES =
      Map.of(
          new ServiceKey("reviews", "shop"),
          List.of(
              new Endpoint("10.1.0.1", List.of(9080), Map.of("version", "v1"), "a"),
              new Endpoint("10.1.0.2", List.of(9080, 8080), Map.of("version", "v2"), "b")));

  /** Fields whose type is known, per kind: a value of another type there must be an error. */
  enum Type {
    INT,
    STRING,
    DURATION,
    LIST,
    MAP,
    ENUM
  }

  record Typed(String kind, Pattern path, Type type) {}

  static final List<Typed> SCHEMA =
      List.of(
          t("*", "metadata\\.name", Type.STRING),
          t("VirtualService", "spec\\.hosts", Type.LIST),
          t("VirtualService", "spec\\.hosts\\[\\d+]", Type.STRING),
          t("VirtualService", "spec\\.http", Type.LIST),
          t("VirtualService", "spec\\.http\\[\\d+]\\.route\\[\\d+]\\.weight", Type.INT),
          t("VirtualService", "spec\\.http\\[\\d+]\\.route\\[\\d+]\\.destination\\.host", Type.STRING),
          t("VirtualService", "spec\\.http\\[\\d+]\\.timeout", Type.DURATION),
          t("VirtualService", "spec\\.http\\[\\d+]\\.retries\\.attempts", Type.INT),
          t("VirtualService", "spec\\.http\\[\\d+]\\.retries\\.perTryTimeout", Type.DURATION),
          t("VirtualService", "spec\\.http\\[\\d+]\\.match\\[\\d+]\\.uri", Type.MAP),
          t("VirtualService", "spec\\.http\\[\\d+]\\.match\\[\\d+]\\.port", Type.INT),
          t("VirtualService", "spec\\.http\\[\\d+]\\.fault\\.delay\\.fixedDelay", Type.DURATION),
          t("DestinationRule", "spec\\.host", Type.STRING),
          t("DestinationRule", "spec\\.subsets\\[\\d+]\\.name", Type.STRING),
          t("DestinationRule", "spec\\.subsets\\[\\d+]\\.labels", Type.MAP),
          t("DestinationRule", "spec\\.trafficPolicy\\.loadBalancer\\.simple", Type.ENUM),
          t("DestinationRule", "spec\\.trafficPolicy\\.connectionPool\\.tcp\\.maxConnections", Type.INT),
          t("DestinationRule", "spec\\.trafficPolicy\\.outlierDetection\\.interval", Type.DURATION),
          t("ServiceEntry", "spec\\.hosts", Type.LIST),
          t("ServiceEntry", "spec\\.ports\\[\\d+]\\.number", Type.INT),
          t("ServiceEntry", "spec\\.resolution", Type.ENUM),
          t("PeerAuthentication", "spec\\.mtls\\.mode", Type.ENUM),
          t("AuthorizationPolicy", "spec\\.action", Type.ENUM),
          t("AuthorizationPolicy", "spec\\.rules", Type.LIST),
          t("AuthorizationPolicy", "spec\\.rules\\[\\d+]\\.from\\[\\d+]\\.source\\.principals", Type.LIST),
          t("MeshConfig", "spec\\.startupWait", Type.DURATION));

  static Typed t(String kind, String path, Type type) {
    return new Typed(kind, Pattern.compile(path), type);
  }

  static final Object[] WEIRD_STRINGS = {
    "", " ", "*", "**", "{*}", "/{**}/x/{*}", ".", "..", "~", "-1s", "0s", "1ms", "99999999h", "1.5.5s", "NaN",
    "(a+)+$", "((((((((((x))))))))))*", "[", "\\", "\u0000", "é", "RBAC", "mesh", "default/x", "a/b/c", "10.0.0.0/8",
    "::1", "999.1.1.1", "STRICT", "ALLOW", "DNS", "RANDOM", "5xx,reset", "request.headers[x]", "x".repeat(3000),
  };

  @Test
  void mutatedDocumentsOnlyEverProduceFindings() {
    long seed = Long.getLong("inmesh.fuzz.seed", 20_260_301L);
    int cases = Integer.getInteger("inmesh.fuzz.cases", DEFAULT_CASES);
    Random random = new Random(seed);
    List<Map<String, Object>> corpus = corpus();
    PolicyParser parser = new PolicyParser("shop");
    int accepted = 0;
    int typed = 0;
    for (int i = 0; i < cases; i++) {
      Map<String, Object> doc = deepCopy(corpus.get(random.nextInt(corpus.size())));
      int mutations = 1 + random.nextInt(4);
      for (int m = 0; m < mutations; m++) {
        mutate(doc, random);
      }
      String typedAt = random.nextInt(3) == 0 ? typedMutation(doc, random) : null;
      boolean viaYaml = random.nextInt(10) == 0;
      final int n = i;
      String json = safeJson(doc);
      Outcome o;
      try {
        o = assertTimeoutPreemptively(HANG_GUARD, () -> exercise(parser, doc, viaYaml, n), () -> "case " + n + " (seed " + seed + ") hangs: " + json);
      } catch (AssertionError e) {
        throw e;
      } catch (Throwable t) {
        throw new AssertionError("case " + n + " (seed " + seed + ", cases " + cases + ") threw " + t + " for " + json, t);
      }
      if (typedAt != null) {
        typed++;
        assertThat(o.accepted).as("case %d (seed %d): a wrong type at %s was accepted: %s", n, seed, typedAt, json).isFalse();
      }
      if (o.accepted) {
        accepted++;
      }
    }
    System.out.println("fuzz: " + cases + " cases (seed " + seed + "): " + accepted + " accepted, " + typed + " with a type error, all rejected");
    // the corpus is valid, so the fuzzer must not only ever produce rubbish
    assertThat(accepted).isGreaterThan(cases / 20);
  }

  record Outcome(boolean accepted) {}

  /** Everything a policy document goes through; any exception escapes to the caller. */
  static Outcome exercise(PolicyParser parser, Map<String, Object> doc, boolean viaYaml, int n) {
    List<ParsedResource> resources = new ArrayList<>();
    if (viaYaml) {
      DumperOptions opts = new DumperOptions();
      opts.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
      String yaml = new Yaml(opts).dump(doc);
      ParseResult r = parser.parseYaml("fuzz-" + n + ".yaml", yaml);
      checkFindings(r.diagnostics());
      resources.addAll(r.resources());
    } else {
      ParsedResource r = parser.bind("fuzz-" + n + ".yaml", doc);
      checkFindings(r.diagnostics());
      resources.add(r);
    }
    boolean accepted = !resources.isEmpty() && resources.stream().allMatch(r -> r.ok() && r.diagnostics().stream().noneMatch(Diagnostic::isError));
    checkFindings(PolicySetValidator.validate(resources));
    List<PolicyResource> bound = new ArrayList<>();
    for (ParsedResource r : resources) {
      if (r.ok()) {
        bound.add(r.resource());
      }
    }
    if (!bound.isEmpty()) {
      RouteTable t = RouteTable.compile(new MeshSnapshot("v", 1, bound, SERVICES), WORKLOAD);
      for (String host : new String[] {"reviews", "reviews.shop", "api.example.com", "legacy.internal.example", "x.reviews.example.com", "example.org"}) {
        t.decide(Req.get(host, "/api/x?id=1&flag").header("x-canary", "true").header("x-fault", "abort"));
        t.decide(Req.get(host, "/regex/a").method("POST").port(9080));
      }
      t.describe();
      t.authorization().evaluate(AuthorizationRequest.Simple.of("GET", "/reviews/1").from("cluster.local/ns/shop/sa/productpage").withHeader("x-version", "v1"));
      t.mtls().modeFor(8080);
    }
    return new Outcome(accepted);
  }

  static void checkFindings(List<Diagnostic> ds) {
    for (Diagnostic d : ds) {
      assertThat(d.severity()).isNotNull();
      assertThat(d.message()).isNotBlank();
      assertThat(d.format()).isNotBlank();
    }
  }

  // ---- the corpus and the mutations ------------------------------------------------------------

  static List<Map<String, Object>> corpus() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (String file : new String[] {"/policies/everything.yaml", "/seed/canary.yaml"}) {
      ParseResult r = new PolicyParser("shop").parseYaml(file, Policies.resource(file));
      assertThat(r.hasErrors()).as(r.diagnostics().toString()).isFalse();
      for (ParsedResource p : r.resources()) {
        out.add(deepCopy(p.tree()));
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  static <T> T deepCopy(T v) {
    if (v instanceof Map<?, ?> m) {
      Map<String, Object> c = new LinkedHashMap<>();
      m.forEach((k, x) -> c.put(String.valueOf(k), deepCopy(x)));
      return (T) c;
    }
    if (v instanceof List<?> l) {
      List<Object> c = new ArrayList<>();
      l.forEach(x -> c.add(deepCopy(x)));
      return (T) c;
    }
    return v;
  }

  /** A node of the tree with its parent, so it can be replaced. */
  record Slot(Object parent, Object key, String path, Object value) {}

  static List<Slot> slots(Object node, Object parent, Object key, String path, List<Slot> out) {
    if (parent != null) {
      out.add(new Slot(parent, key, path, node));
    }
    if (node instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        String k = String.valueOf(e.getKey());
        slots(e.getValue(), node, k, path.isEmpty() ? k : path + "." + k, out);
      }
    } else if (node instanceof List<?> l) {
      for (int i = 0; i < l.size(); i++) {
        slots(l.get(i), node, i, path + "[" + i + "]", out);
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  static void set(Slot s, Object v) {
    if (s.parent instanceof Map<?, ?> m) {
      ((Map<String, Object>) m).put((String) s.key, v);
    } else {
      ((List<Object>) s.parent).set((Integer) s.key, v);
    }
  }

  @SuppressWarnings("unchecked")
  static void mutate(Map<String, Object> doc, Random r) {
    List<Slot> all = slots(doc, null, null, "", new ArrayList<>());
    if (all.isEmpty()) {
      return;
    }
    Slot s = all.get(r.nextInt(all.size()));
    switch (r.nextInt(7)) {
      case 0, 1 -> set(s, randomValue(r, 2));
      case 2 -> {
        if (s.parent instanceof Map<?, ?> m) {
          m.remove(s.key);
        } else {
          ((List<Object>) s.parent).remove((int) (Integer) s.key);
        }
      }
      case 3 -> {
        if (s.value instanceof Map<?, ?> m) {
          ((Map<String, Object>) m).put((String) pick(r, "unknownField", "timeouts", "circuitBreaker", "weight", "x".repeat(r.nextInt(5) + 1)), randomValue(r, 1));
        } else {
          set(s, randomValue(r, 1));
        }
      }
      case 4 -> {
        if (s.value instanceof List<?> l && !l.isEmpty()) {
          ((List<Object>) l).add(deepCopy(l.get(r.nextInt(l.size()))));
        } else {
          set(s, List.of());
        }
      }
      case 5 -> set(s, deepCopy(all.get(r.nextInt(all.size())).value)); // a value from elsewhere
      default -> {
        if (s.value instanceof String str && !str.isEmpty()) {
          set(s, r.nextBoolean() ? str.toUpperCase() : str.substring(0, r.nextInt(str.length())));
        } else if (s.value instanceof Number num) {
          set(s, pick(r, 0, -1, num.longValue() + 1, Long.MAX_VALUE, 1e300, 0.5, Integer.MIN_VALUE));
        } else {
          set(s, randomValue(r, 0));
        }
      }
    }
  }

  /** Replaces a field of known type with a value of another type; returns its path, or null. */
  static String typedMutation(Map<String, Object> doc, Random r) {
    if (!(doc.get("kind") instanceof String kind)) {
      return null;
    }
    List<Slot> candidates = new ArrayList<>();
    List<Type> types = new ArrayList<>();
    for (Slot s : slots(doc, null, null, "", new ArrayList<>())) {
      for (Typed t : SCHEMA) {
        if ((t.kind.equals("*") || t.kind.equals(kind)) && t.path.matcher(s.path).matches() && s.value != null) {
          candidates.add(s);
          types.add(t.type);
        }
      }
    }
    if (candidates.isEmpty()) {
      return null;
    }
    int i = r.nextInt(candidates.size());
    set(candidates.get(i), wrongValue(types.get(i), r));
    return candidates.get(i).path;
  }

  static Object wrongValue(Type t, Random r) {
    return switch (t) {
      case INT -> pick(r, "a lot", true, List.of(1), Map.of("a", 1), 1.5, -5, 1e12, "7");
      case STRING -> pick(r, 12, true, List.of("x"), Map.of("a", "b"), 1.5);
      case DURATION -> pick(r, 5, "5", "fast", true, "-1s", "1.5.5s", List.of("1s"), "100us");
      case LIST -> pick(r, "x", 5, Map.of("a", 1), true);
      case MAP -> pick(r, "x", 5, List.of(1), false);
      case ENUM -> pick(r, "not-a-value", 3, "strict", true, List.of("ALLOW"));
    };
  }

  static Object randomValue(Random r, int depth) {
    int k = r.nextInt(depth > 0 ? 10 : 8);
    return switch (k) {
      case 0 -> null;
      case 1 -> r.nextBoolean();
      case 2 -> r.nextInt(200) - 50;
      case 3 -> pick(r, Long.MAX_VALUE, Long.MIN_VALUE, 4294967296L, 65536, 100, 0);
      case 4 -> pick(r, 0.0, -0.5, 12.5, 1e308, Double.MIN_VALUE, 100.0001);
      case 5, 6 -> pick(r, WEIRD_STRINGS);
      case 7 -> "s" + r.nextInt(1000);
      case 8 -> {
        List<Object> l = new ArrayList<>();
        for (int i = r.nextInt(3); i > 0; i--) {
          l.add(randomValue(r, depth - 1));
        }
        yield l;
      }
      default -> {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = r.nextInt(3); i > 0; i--) {
          m.put((String) pick(r, "exact", "prefix", "regex", "value", "mode", "number", "name", "host", "x"), randomValue(r, depth - 1));
        }
        yield m;
      }
    };
  }

  static Object pick(Random r, Object... options) {
    return options[r.nextInt(options.length)];
  }

  static String safeJson(Object doc) {
    try {
      String s = new String(JsonTrees.write(doc), java.nio.charset.StandardCharsets.UTF_8);
      return s.length() > 4000 ? s.substring(0, 4000) + "…" : s;
    } catch (RuntimeException e) {
      return String.valueOf(doc);
    }
  }
}
