package io.inmesh.policy.bind;

import io.inmesh.policy.Enforcement;
import io.inmesh.policy.model.ClientTlsSettings;
import io.inmesh.policy.model.ConnectionPoolSettings;
import io.inmesh.policy.model.LoadBalancerSettings;
import io.inmesh.policy.model.OutlierDetection;
import io.inmesh.policy.model.PortTrafficPolicy;
import io.inmesh.policy.model.RetryBudget;
import io.inmesh.policy.model.TrafficPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Istio TrafficPolicy and its parts, with Istio's defaults filled in where a group is given
 * (proto3: a number left at 0 means "not set", so 0 takes the documented default).
 */
public final class TrafficPolicyBinder {

  private static final Set<String> TRAFFIC_POLICY =
      Set.of("loadBalancer", "connectionPool", "outlierDetection", "tls", "portLevelSettings", "tunnel", "proxyProtocol", "retryBudget");
  private static final Set<String> PORT_POLICY = Set.of("port", "loadBalancer", "connectionPool", "outlierDetection", "tls");

  /** Fields people write from memory or from other meshes, and what Istio calls them. */
  static final Map<String, String> TRAFFIC_POLICY_HINTS =
      Map.of(
          "circuitBreaker",
              "Istio has no circuitBreaker field: use outlierDetection (consecutive5xxErrors, interval,"
                  + " baseEjectionTime, maxEjectionPercent) and connectionPool for limits",
          "circuitBreakers", "Istio calls this outlierDetection (and connectionPool for limits)",
          "loadBalancing", "Istio calls this loadBalancer",
          "outlierDetector", "Istio calls this outlierDetection",
          "timeout", "timeouts belong to the VirtualService route (http[].timeout); connectionPool.tcp.connectTimeout limits connecting",
          "retries", "retries belong to the VirtualService route (http[].retries)");

  private TrafficPolicyBinder() {}

  /** A TrafficPolicy as written; null when absent. */
  static TrafficPolicy bind(Cursor tp) {
    if (!tp.present() || !tp.expectMap()) {
      return null;
    }
    tp.checkFields(TRAFFIC_POLICY, TRAFFIC_POLICY_HINTS);
    LoadBalancerSettings lb = loadBalancer(tp.get("loadBalancer"));
    ConnectionPoolSettings cp = connectionPool(tp.get("connectionPool"));
    OutlierDetection od = outlierDetection(tp.get("outlierDetection"));
    ClientTlsSettings tls = tls(tp.get("tls"));
    List<PortTrafficPolicy> ports = new ArrayList<>();
    Set<Integer> seen = new HashSet<>();
    for (Cursor p : tp.get("portLevelSettings").items()) {
      if (!p.expectMap()) {
        continue;
      }
      p.checkFields(PORT_POLICY, TRAFFIC_POLICY_HINTS);
      Cursor pc = p.get("port");
      Integer number = null;
      if (!pc.present()) {
        p.error("missing port", "add port: {number: N}");
      } else if (pc.expectMap()) {
        pc.checkFields(Set.of("number"), null);
        number = pc.get("number").port();
        if (!pc.get("number").present()) {
          pc.error("missing port.number", null);
        }
      }
      if (number != null && !seen.add(number)) {
        pc.error("port " + number + " has settings already", null);
      }
      PortTrafficPolicy ptp =
          new PortTrafficPolicy(
              number == null ? 0 : number,
              loadBalancer(p.get("loadBalancer")),
              connectionPool(p.get("connectionPool")),
              outlierDetection(p.get("outlierDetection")),
              tls(p.get("tls")));
      if (number != null) {
        ports.add(ptp);
      }
    }
    for (String f : new String[] {"tunnel", "proxyProtocol"}) {
      Cursor c = tp.get(f);
      if (c.present()) {
        c.expectMap();
        c.notEnforced(Enforcement.TUNNEL);
      }
    }
    RetryBudget budget = retryBudget(tp.get("retryBudget"));
    tp.get("retryBudget").notEnforced(Enforcement.RETRY_BUDGET);
    return new TrafficPolicy(lb, cp, od, tls, List.copyOf(ports), budget);
  }

  /**
   * The DestinationRule annotation that opts in to a balancer Istio lacks (today PEAK_EWMA:
   * power of two choices over peak-EWMA latency, as Linkerd balances). It sets the rule's
   * top-level load balancer, so subsets inherit it as Istio inherits {@code loadBalancer}; a subset
   * or port-level setting with its own loadBalancer keeps its own.
   */
  static final String LOAD_BALANCER_ANNOTATION = "inmesh.io/load-balancer";

  /** {@code top} with the annotated balancer, or unchanged when {@code annotation} is absent or invalid. */
  static TrafficPolicy withAnnotatedLoadBalancer(Cursor annotation, TrafficPolicy top) {
    if (!annotation.present()) {
      return top;
    }
    String v = annotation.enumValue(List.of(LoadBalancerSettings.SimpleLb.PEAK_EWMA.name()));
    if (v == null) {
      return top;
    }
    LoadBalancerSettings lb = top == null ? null : top.loadBalancer();
    if (lb != null && lb.consistentHash() != null) {
      annotation.error(
          "conflicts with spec.trafficPolicy.loadBalancer.consistentHash",
          "keep one: " + v + " balances by latency, consistentHash pins keys to endpoints");
      return top;
    }
    if (lb != null && lb.simple() != LoadBalancerSettings.SimpleLb.UNSPECIFIED && lb.simple() != LoadBalancerSettings.SimpleLb.LEAST_REQUEST) {
      annotation.error("conflicts with spec.trafficPolicy.loadBalancer.simple: " + lb.simple(), "remove one of them");
      return top;
    }
    LoadBalancerSettings annotated =
        new LoadBalancerSettings(
            LoadBalancerSettings.SimpleLb.valueOf(v), null, lb == null ? null : lb.localityLbSetting(), lb == null ? null : lb.warmup());
    return top == null
        ? new TrafficPolicy(annotated, null, null, null, List.of(), null)
        : new TrafficPolicy(annotated, top.connectionPool(), top.outlierDetection(), top.tls(), top.portLevelSettings(), top.retryBudget());
  }

  static LoadBalancerSettings loadBalancer(Cursor c) {
    if (!c.present() || !c.expectMap()) {
      return null;
    }
    c.checkFields(
        Set.of("simple", "consistentHash", "localityLbSetting", "warmupDurationSecs", "warmup", "zoneAwareLbSetting"),
        Map.of("type", "Istio calls this simple: ROUND_ROBIN | RANDOM | LEAST_REQUEST | PASSTHROUGH"));
    LoadBalancerSettings.SimpleLb simple = LoadBalancerSettings.SimpleLb.UNSPECIFIED;
    Cursor s = c.get("simple");
    if (s.present()) {
      String v = s.enumValue(List.of("UNSPECIFIED", "LEAST_CONN", "RANDOM", "PASSTHROUGH", "ROUND_ROBIN", "LEAST_REQUEST"));
      if (v != null) {
        simple = LoadBalancerSettings.SimpleLb.valueOf(v);
        if (simple == LoadBalancerSettings.SimpleLb.LEAST_CONN) {
          s.warn("LEAST_CONN is deprecated; Istio treats it as LEAST_REQUEST", null);
        }
        if (simple != LoadBalancerSettings.SimpleLb.ROUND_ROBIN
            && simple != LoadBalancerSettings.SimpleLb.RANDOM
            && simple != LoadBalancerSettings.SimpleLb.UNSPECIFIED) {
          s.notEnforced(Enforcement.LOAD_BALANCER);
        }
      }
    }
    LoadBalancerSettings.ConsistentHash hash = null;
    Cursor ch = c.get("consistentHash");
    if (ch.present()) {
      if (s.present()) {
        c.error("give only one of simple and consistentHash", null);
      }
      hash = consistentHash(ch);
      ch.notEnforced(Enforcement.LOAD_BALANCER);
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> locality =
        c.get("localityLbSetting").present() && c.get("localityLbSetting").expectMap()
            ? (Map<String, Object>) c.get("localityLbSetting").raw()
            : null;
    c.get("localityLbSetting").notEnforced(Enforcement.LOCALITY_LB);
    if (c.get("zoneAwareLbSetting").present()) {
      c.get("zoneAwareLbSetting").expectMap();
      c.get("zoneAwareLbSetting").notEnforced(Enforcement.LOCALITY_LB);
    }
    Duration warmup = c.get("warmupDurationSecs").duration(false);
    Cursor w = c.get("warmup");
    if (w.present() && w.expectMap()) {
      w.checkFields(Set.of("duration", "minimumPercent", "aggression"), null);
      Duration d = w.get("duration").duration(false);
      if (!w.get("duration").present()) {
        w.error("missing warmup.duration", null);
      }
      w.get("minimumPercent").number(0, 100);
      w.get("aggression").number(1, Double.MAX_VALUE);
      warmup = d == null ? warmup : d;
    }
    if (warmup != null) {
      (w.present() ? w : c.get("warmupDurationSecs")).notEnforced(Enforcement.LOCALITY_LB);
    }
    return new LoadBalancerSettings(simple, hash, locality, warmup);
  }

  private static LoadBalancerSettings.ConsistentHash consistentHash(Cursor c) {
    if (!c.expectMap()) {
      return null;
    }
    c.checkFields(
        Set.of("httpHeaderName", "httpCookie", "useSourceIp", "httpQueryParameterName", "ringHash", "maglev", "minimumRingSize"),
        null);
    LoadBalancerSettings.HashKey key = null;
    String name = null;
    String cookiePath = null;
    Duration ttl = null;
    int keys = 0;
    if (c.get("httpHeaderName").present()) {
      keys++;
      key = LoadBalancerSettings.HashKey.HTTP_HEADER_NAME;
      name = c.get("httpHeaderName").nonEmptyString("httpHeaderName");
    }
    Cursor cookie = c.get("httpCookie");
    if (cookie.present()) {
      keys++;
      key = LoadBalancerSettings.HashKey.HTTP_COOKIE;
      if (cookie.expectMap()) {
        cookie.checkFields(Set.of("name", "path", "ttl", "attributes"), null);
        name = cookie.get("name").nonEmptyString("httpCookie.name");
        if (!cookie.get("name").present()) {
          cookie.error("missing httpCookie.name", null);
        }
        cookiePath = cookie.get("path").string();
        ttl = cookie.get("ttl").duration(true);
        cookie.get("attributes").items();
      }
    }
    if (c.get("useSourceIp").present()) {
      Boolean b = c.get("useSourceIp").bool();
      if (Boolean.TRUE.equals(b)) {
        keys++;
        key = LoadBalancerSettings.HashKey.USE_SOURCE_IP;
      }
    }
    if (c.get("httpQueryParameterName").present()) {
      keys++;
      key = LoadBalancerSettings.HashKey.HTTP_QUERY_PARAMETER_NAME;
      name = c.get("httpQueryParameterName").nonEmptyString("httpQueryParameterName");
    }
    if (keys == 0) {
      c.error("consistentHash needs one of httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName", null);
    } else if (keys > 1) {
      c.error("give only one hash key (httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName)", null);
    }
    boolean maglev = false;
    long size = 1024;
    if (c.get("ringHash").present() && c.get("maglev").present()) {
      c.error("give only one of ringHash and maglev", null);
    }
    Cursor ring = c.get("ringHash");
    if (ring.present() && ring.expectMap()) {
      ring.checkFields(Set.of("minimumRingSize"), null);
      Integer v = ring.get("minimumRingSize").integer(0, 8_388_608);
      size = v == null || v == 0 ? 1024 : v;
    }
    Cursor mag = c.get("maglev");
    if (mag.present() && mag.expectMap()) {
      mag.checkFields(Set.of("tableSize"), null);
      maglev = true;
      Integer v = mag.get("tableSize").integer(0, 5_000_010);
      size = v == null || v == 0 ? 65537 : v;
      if (v != null && v != 0 && !isPrime(v)) {
        mag.get("tableSize").error("the Maglev table size must be a prime number", "e.g. 65537");
      }
    }
    if (c.get("minimumRingSize").present()) {
      Integer v = c.get("minimumRingSize").integer(0, 8_388_608);
      c.get("minimumRingSize").warn("minimumRingSize is deprecated; use ringHash: {minimumRingSize: N}", null);
      if (v != null && v != 0 && !ring.present()) {
        size = v;
      }
    }
    return key == null ? null : new LoadBalancerSettings.ConsistentHash(key, name, cookiePath, ttl, maglev, size);
  }

  private static boolean isPrime(int n) {
    if (n < 2) {
      return false;
    }
    for (int i = 2; (long) i * i <= n; i++) {
      if (n % i == 0) {
        return false;
      }
    }
    return true;
  }

  static ConnectionPoolSettings connectionPool(Cursor c) {
    if (!c.present() || !c.expectMap()) {
      return null;
    }
    c.checkFields(Set.of("tcp", "http"), Map.of("maxConnections", "maxConnections goes under tcp:"));
    ConnectionPoolSettings.Tcp tcp = ConnectionPoolSettings.Tcp.DEFAULT;
    Cursor t = c.get("tcp");
    if (t.present() && t.expectMap()) {
      t.checkFields(Set.of("maxConnections", "connectTimeout", "tcpKeepalive", "maxConnectionDuration", "idleTimeout"), null);
      t.get("tcpKeepalive").notEnforced(Enforcement.CONNECTION_LIFETIME);
      for (String f : List.of("maxConnectionDuration", "idleTimeout")) {
        t.get(f).notEnforced(Enforcement.CONNECTION_REUSE);
      }
      Cursor ka = t.get("tcpKeepalive");
      if (ka.present() && ka.expectMap()) {
        ka.checkFields(Set.of("probes", "time", "interval"), null);
        ka.get("probes").integer(0, Integer.MAX_VALUE);
        ka.get("time").duration(false);
        ka.get("interval").duration(false);
      }
      tcp =
          new ConnectionPoolSettings.Tcp(
              count(t.get("maxConnections"), ConnectionPoolSettings.UNLIMITED),
              orDefault(t.get("connectTimeout").duration(false), ConnectionPoolSettings.Tcp.DEFAULT.connectTimeout()),
              t.get("maxConnectionDuration").duration(false),
              orDefault(t.get("idleTimeout").duration(true), ConnectionPoolSettings.Tcp.DEFAULT.idleTimeout()));
    }
    ConnectionPoolSettings.Http http = ConnectionPoolSettings.Http.DEFAULT;
    Cursor h = c.get("http");
    if (h.present() && h.expectMap()) {
      h.checkFields(
          Set.of(
              "http1MaxPendingRequests",
              "http2MaxRequests",
              "maxRequestsPerConnection",
              "maxRetries",
              "idleTimeout",
              "h2UpgradePolicy",
              "useClientProtocol",
              "maxConcurrentStreams",
              "http2KeepAlive"),
          Map.of("maxConnections", "maxConnections goes under tcp:"));
      for (String f : List.of("maxRequestsPerConnection", "idleTimeout")) {
        h.get(f).notEnforced(Enforcement.CONNECTION_REUSE);
      }
      for (String f : List.of("h2UpgradePolicy", "maxConcurrentStreams", "http2KeepAlive")) {
        h.get(f).notEnforced(Enforcement.CONNECTION_LIFETIME);
      }
      String upgrade =
          h.get("h2UpgradePolicy").present()
              ? h.get("h2UpgradePolicy").enumValue(List.of("DEFAULT", "DO_NOT_UPGRADE", "UPGRADE"))
              : null;
      Cursor ka = h.get("http2KeepAlive");
      if (ka.present() && ka.expectMap()) {
        ka.checkFields(Set.of("interval", "timeout"), null);
        ka.get("interval").duration(false);
        ka.get("timeout").duration(false);
      }
      Boolean useClient = h.get("useClientProtocol").bool();
      http =
          new ConnectionPoolSettings.Http(
              count(h.get("http1MaxPendingRequests"), ConnectionPoolSettings.UNLIMITED),
              count(h.get("http2MaxRequests"), ConnectionPoolSettings.UNLIMITED),
              count(h.get("maxRequestsPerConnection"), 0),
              count(h.get("maxRetries"), ConnectionPoolSettings.UNLIMITED),
              orDefault(h.get("idleTimeout").duration(true), ConnectionPoolSettings.Http.DEFAULT.idleTimeout()),
              upgrade == null ? "DEFAULT" : upgrade,
              Boolean.TRUE.equals(useClient),
              count(h.get("maxConcurrentStreams"), 2_147_483_647L));
    }
    return new ConnectionPoolSettings(tcp, http);
  }

  /** A non-negative int32 count; 0 or absent takes the default (proto3). */
  private static long count(Cursor c, long dflt) {
    Integer v = c.integer(0, Integer.MAX_VALUE);
    return v == null || v == 0 ? dflt : v;
  }

  private static Duration orDefault(Duration d, Duration dflt) {
    return d == null ? dflt : d;
  }

  static OutlierDetection outlierDetection(Cursor c) {
    if (!c.present() || !c.expectMap()) {
      return null;
    }
    c.checkFields(
        Set.of(
            "consecutiveErrors",
            "splitExternalLocalOriginErrors",
            "consecutiveLocalOriginFailures",
            "consecutiveGatewayErrors",
            "consecutive5xxErrors",
            "interval",
            "baseEjectionTime",
            "maxEjectionPercent",
            "minHealthPercent",
            "outlierDetectionHttpErrorCodes"),
        Map.of(
            "consecutive5xx", "Istio calls this consecutive5xxErrors",
            "ejectionTime", "Istio calls this baseEjectionTime",
            "consecutive5XXErrors", "Istio calls this consecutive5xxErrors"));
    c.notEnforced(Enforcement.OUTLIER_DETECTION);
    OutlierDetection d = OutlierDetection.DEFAULT;
    Integer c5 = c.get("consecutive5xxErrors").integer(0, Integer.MAX_VALUE);
    Integer gw = c.get("consecutiveGatewayErrors").integer(0, Integer.MAX_VALUE);
    Integer legacy = c.get("consecutiveErrors").integer(0, Integer.MAX_VALUE);
    if (legacy != null) {
      // Istio maps the deprecated field to gateway errors only (502, 503, 504) and turns 5xx off
      c.get("consecutiveErrors")
          .warn(
              "consecutiveErrors is deprecated; Istio counts only gateway errors (502, 503, 504) with it",
              "use consecutive5xxErrors (every 5xx) or consecutiveGatewayErrors");
      if (gw == null) {
        gw = legacy;
      }
      if (c5 == null) {
        c5 = 0;
      }
    }
    Integer local = c.get("consecutiveLocalOriginFailures").integer(0, Integer.MAX_VALUE);
    Boolean split = c.get("splitExternalLocalOriginErrors").bool();
    Duration interval = c.get("interval").duration(false);
    Duration base = c.get("baseEjectionTime").duration(false);
    Integer maxEject = c.get("maxEjectionPercent").integer(0, 100);
    Integer minHealth = c.get("minHealthPercent").integer(0, 100);
    List<Integer> codes = new ArrayList<>();
    for (Cursor code : c.get("outlierDetectionHttpErrorCodes").items()) {
      Integer v = code.integer(100, 599);
      if (v != null) {
        codes.add(v);
      }
    }
    return new OutlierDetection(
        c5 == null ? d.consecutive5xxErrors() : c5,
        gw == null ? 0 : gw,
        local == null ? d.consecutiveLocalOriginFailures() : local,
        Boolean.TRUE.equals(split),
        interval == null ? d.interval() : interval,
        base == null ? d.baseEjectionTime() : base,
        maxEject == null || maxEject == 0 ? d.maxEjectionPercent() : maxEject,
        minHealth == null ? 0 : minHealth,
        List.copyOf(codes));
  }

  /**
   * https://istio.io/latest/docs/reference/config/networking/destination-rule/#ClientTLSSettings : SIMPLE and
   * MUTUAL are originated by the agent (Istio's egress TLS origination,
   * https://istio.io/latest/docs/tasks/traffic-management/egress/egress-tls-origination/); the files they name are
   * read where the policy is checked, so a missing or unreadable one is an error naming its field.
   */
  static ClientTlsSettings tls(Cursor c) {
    if (!c.present() || !c.expectMap()) {
      return null;
    }
    c.checkFields(
        Set.of(
            "mode",
            "clientCertificate",
            "privateKey",
            "caCertificates",
            "credentialName",
            "subjectAltNames",
            "sni",
            "insecureSkipVerify",
            "caCrl"),
        null);
    String mode = c.get("mode").present() ? c.get("mode").enumValue(List.of("DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL")) : "DISABLE";
    String cert = c.get("clientCertificate").string();
    String key = c.get("privateKey").string();
    String ca = c.get("caCertificates").string();
    c.get("caCrl").string();
    c.get("caCrl").notEnforced(Enforcement.CLIENT_TLS_CRL);
    String credential = c.get("credentialName").string();
    List<String> sans = c.get("subjectAltNames").stringList();
    String sni = c.get("sni").string();
    Boolean skip = c.get("insecureSkipVerify").bool();
    if ("MUTUAL".equals(mode) && credential == null) {
      if (cert == null) {
        c.get("clientCertificate").error("mode MUTUAL needs clientCertificate and privateKey (or credentialName)", null);
      }
      if (key == null) {
        c.get("privateKey").error("mode MUTUAL needs clientCertificate and privateKey (or credentialName)", null);
      }
    }
    if ("ISTIO_MUTUAL".equals(mode) && (cert != null || key != null || credential != null || c.get("caCertificates").present())) {
      c.error("mode ISTIO_MUTUAL uses the mesh's certificates: leave clientCertificate, privateKey, caCertificates and credentialName empty", null);
    }
    if ("SIMPLE".equals(mode) || "MUTUAL".equals(mode)) {
      if (credential != null) {
        c.get("credentialName").notEnforced(Enforcement.CLIENT_TLS_CREDENTIAL_NAME);
      }
      if ("MUTUAL".equals(mode)) {
        pemFile(c.get("clientCertificate"), cert, "CERTIFICATE");
        pemFile(c.get("privateKey"), key, "PRIVATE KEY");
      }
      pemFile(c.get("caCertificates"), ca, "CERTIFICATE");
    }
    return mode == null
        ? null
        : new ClientTlsSettings(ClientTlsSettings.Mode.valueOf(mode), sni, sans, credential, cert, key, ca, Boolean.TRUE.equals(skip));
  }

  /** A PEM file the agent will read: an absolute path to a readable file holding a {@code type} block. */
  private static void pemFile(Cursor c, String path, String type) {
    if (path == null) {
      return;
    }
    java.nio.file.Path p;
    try {
      p = java.nio.file.Path.of(path);
    } catch (RuntimeException e) {
      c.error("\"" + path + "\" is not a valid path", null);
      return;
    }
    if (!p.isAbsolute()) {
      c.error("must be an absolute path (the agent reads it), got \"" + path + "\"", null);
      return;
    }
    if (!java.nio.file.Files.isRegularFile(p) || !java.nio.file.Files.isReadable(p)) {
      c.error("no readable file " + path, "the agent reads this file when it originates TLS; create it or fix the path");
      return;
    }
    try {
      String text = java.nio.file.Files.readString(p, java.nio.charset.StandardCharsets.ISO_8859_1);
      boolean found = false;
      for (io.inmesh.policy.identity.PemBlocks.Block b : io.inmesh.policy.identity.PemBlocks.parse(text)) {
        if (b.type().equals(type)) {
          found = true;
        }
      }
      if (!found) {
        c.error(path + " holds no PEM " + type + " block",
            type.equals("PRIVATE KEY") ? "the key must be unencrypted PKCS#8: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8" : null);
      }
    } catch (java.io.IOException | RuntimeException e) {
      c.error("cannot read " + path + ": " + e.getMessage(), null);
    }
  }

  static RetryBudget retryBudget(Cursor c) {
    if (!c.present() || !c.expectMap()) {
      return null;
    }
    c.checkFields(Set.of("percent", "minRetryConcurrency", "budgetInterval"), null);
    Double pct = wrappedNumber(c.get("percent"), 0, 100);
    Integer min = c.get("minRetryConcurrency").integer(0, Integer.MAX_VALUE);
    Duration interval = c.get("budgetInterval").duration(true);
    RetryBudget d = RetryBudget.DEFAULT;
    return new RetryBudget(
        pct == null ? d.percent() : pct, min == null || min == 0 ? d.minRetryConcurrency() : min, interval == null ? d.budgetInterval() : interval);
  }

  /** A protobuf wrapper (DoubleValue) as written in YAML: a plain number, or {@code {value: N}}. */
  static Double wrappedNumber(Cursor c, double min, double max) {
    if (c.present() && c.isMap()) {
      c.checkFields(Set.of("value"), null);
      return c.get("value").number(min, max);
    }
    return c.number(min, max);
  }
}
