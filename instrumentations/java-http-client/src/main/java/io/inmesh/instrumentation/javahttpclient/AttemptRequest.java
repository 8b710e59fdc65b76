package io.inmesh.instrumentation.javahttpclient;

import io.inmesh.bootstrap.Attempt;
import io.inmesh.bootstrap.HeaderSink;
import io.inmesh.bootstrap.Mesh;
import io.inmesh.bootstrap.OutboundCall;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The request one attempt sends: the application's request as it wrote it (its URI keeps the
 * logical host, so the Host header and {@code response.uri()} say {@code usuario-service}), with
 * the route's header edits and rewrites, the attempt's deadline as its timeout (when shorter than
 * the application's own), and the attempt itself, which {@code HttpRequestImpl}'s advice picks up
 * so that {@code getAddress()} — the client's connection-pool key and connect target — answers the
 * attempt's endpoint. It is also the marker that lets the attempt through the client's
 * {@code sendAsync} advice untouched.
 */
public final class AttemptRequest extends HttpRequest {
  /** Headers the JDK client refuses from applications (jdk.httpclient.allowRestrictedHeaders). */
  private static final Set<String> RESTRICTED = Set.of("connection", "content-length", "expect", "host", "upgrade");

  private final HttpRequest user;
  private final Attempt attempt;
  private final URI uri;
  private final HttpHeaders headers;
  private final Optional<Duration> timeout;
  private final boolean meshTimeout;

  AttemptRequest(HttpRequest user, OutboundCall call, Attempt attempt) {
    this(user, call, attempt, 0);
  }

  /** @param spentNanos time the call already spent (an injected delay), taken off the application's own timeout */
  AttemptRequest(HttpRequest user, OutboundCall call, Attempt attempt, long spentNanos) {
    this.user = user;
    this.attempt = attempt;
    this.uri = rewritten(user.uri(), call);
    Edits edits = new Edits(user.headers().map());
    call.editRequest(edits);
    if (attempt.isLocalReply()) {
      edits.set(Mesh.LOCAL_REPLY_HEADER, attempt.localReplyToken());
    }
    this.headers = edits.changed ? HttpHeaders.of(edits.map, (k, v) -> true) : user.headers();
    Optional<Duration> own = user.timeout();
    if (own.isPresent() && spentNanos > 0) {
      own = Optional.of(Duration.ofNanos(Math.max(1_000_000, own.get().toNanos() - spentNanos)));
    }
    long meshMillis = attempt.timeoutMillis();
    if (meshMillis > 0 && (own.isEmpty() || own.get().toMillis() >= meshMillis)) {
      this.timeout = Optional.of(Duration.ofMillis(meshMillis));
      this.meshTimeout = true;
    } else {
      this.timeout = own;
      this.meshTimeout = false;
    }
  }

  private static URI rewritten(URI uri, OutboundCall call) {
    String path = call.rewrittenPath();
    String authority = call.rewrittenAuthority();
    if (path == null && authority == null) {
      return uri;
    }
    String p = path;
    if (p == null) {
      p = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
      if (uri.getRawQuery() != null) {
        p = p + "?" + uri.getRawQuery();
      }
    }
    String a = authority != null ? authority : uri.getRawAuthority();
    return URI.create(uri.getScheme() + "://" + a + p);
  }

  Attempt attempt() {
    return attempt;
  }

  HttpRequest user() {
    return user;
  }

  /** True when the timeout this request carries is the mesh's (per-try or route timeout). */
  boolean meshTimeout() {
    return meshTimeout;
  }

  @Override
  public Optional<BodyPublisher> bodyPublisher() {
    return user.bodyPublisher();
  }

  @Override
  public String method() {
    return user.method();
  }

  @Override
  public Optional<Duration> timeout() {
    return timeout;
  }

  @Override
  public boolean expectContinue() {
    return user.expectContinue();
  }

  @Override
  public URI uri() {
    return uri;
  }

  @Override
  public Optional<HttpClient.Version> version() {
    return user.version();
  }

  @Override
  public HttpHeaders headers() {
    return headers;
  }

  /** Header edits over a copy of a header map, made only when something changes. */
  static final class Edits implements HeaderSink {
    private final Map<String, List<String>> original;
    Map<String, List<String>> map;
    boolean changed;

    Edits(Map<String, List<String>> original) {
      this.original = original;
      this.map = original;
    }

    private Map<String, List<String>> copy() {
      if (!changed) {
        Map<String, List<String>> m = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (Map.Entry<String, List<String>> e : original.entrySet()) {
          m.put(e.getKey(), new ArrayList<>(e.getValue()));
        }
        map = m;
        changed = true;
      }
      return map;
    }

    @Override
    public void set(String name, String value) {
      if (restricted(name)) {
        return;
      }
      List<String> l = new ArrayList<>(1);
      l.add(value);
      copy().put(name, l);
    }

    @Override
    public void add(String name, String value) {
      if (restricted(name)) {
        return;
      }
      copy().computeIfAbsent(name, k -> new ArrayList<>(1)).add(value);
    }

    @Override
    public void remove(String name) {
      if (!changed) {
        boolean present = false;
        for (String k : original.keySet()) {
          if (k.equalsIgnoreCase(name)) {
            present = true;
            break;
          }
        }
        if (!present) {
          return;
        }
      }
      copy().remove(name);
    }

    /**
     * A header the client would refuse from this request (a restricted name, unless the
     * application allowed it with {@code jdk.httpclient.allowRestrictedHeaders}, or no valid token,
     * such as {@code :authority}): the route's operation on it is skipped quietly. It is policy, not
     * an inmesh failure: {@code ./inmesh validate} and the control plane warn where it is written.
     */
    private static boolean restricted(String name) {
      String lower = name.toLowerCase(Locale.ROOT);
      if (RESTRICTED.contains(lower)) {
        return !allowedByApplication(lower);
      }
      for (int i = 0; i < name.length(); i++) {
        char c = name.charAt(i);
        if (c <= 32 || c >= 127 || "\"(),/:;<=>?@[\\]{}".indexOf(c) >= 0) {
          return true;
        }
      }
      return name.isEmpty();
    }

    private static boolean allowedByApplication(String lower) {
      String allowed = System.getProperty("jdk.httpclient.allowRestrictedHeaders");
      if (allowed == null) {
        return false;
      }
      for (String a : allowed.split(",")) {
        if (a.trim().equalsIgnoreCase(lower)) {
          return true;
        }
      }
      return false;
    }
  }
}
