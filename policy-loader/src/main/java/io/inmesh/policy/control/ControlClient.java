package io.inmesh.policy.control;

import io.inmesh.policy.faults.StageFaults;

import io.inmesh.launcher.Settings;
import io.inmesh.launcher.Versions;
import io.inmesh.policy.tree.JsonTrees;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The control plane's HTTP+JSON API as the agent uses it (see the README for the contract). Every
 * call is bounded: {@link #CONNECT_TIMEOUT_MS} to connect, {@link #CALL_TIMEOUT_MS} for a whole
 * register/heartbeat/ack answer, the poll's {@code wait} plus {@link #POLL_GRACE_MS} for a poll. An
 * answer other than the expected one is an {@link ErrorAnswer}.
 */
public final class ControlClient {
  static final int CONNECT_TIMEOUT_MS = 2_000;
  static final int CALL_TIMEOUT_MS = 5_000;
  /** How long past its {@code wait} a long-poll may take before the agent gives up on it. */
  static final int POLL_GRACE_MS = 10_000;
  /** On view answers of a control plane that records the ack a view poll carries. */
  public static final String POLL_ACK_HEADER = "X-Inmesh-Poll-Ack";
  /** On a view answer: send the next poll at a random point within this many milliseconds. */
  public static final String REPOLL_WITHIN_HEADER = "X-Inmesh-Repoll-Within";
  /** A NACK's reason carried in a poll's query is cut to this many characters. */
  static final int POLL_ACK_ERROR_CHARS = 1_000;

  private final String base;
  private final Settings settings;
  private final AgentIdentity identity;
  private final ChannelCredentials credentials;
  /** The long-poll's connection, kept open between polls (plain HTTP); other calls use a fresh one. */
  private final PlainHttp.KeptConnection pollConnection = new PlainHttp.KeptConnection();

  public ControlClient(Settings settings, AgentIdentity identity) {
    this(settings, identity, ChannelCredentials.NONE);
  }

  public ControlClient(Settings settings, AgentIdentity identity, ChannelCredentials credentials) {
    this.base = settings.controlUrl;
    this.settings = settings;
    this.identity = identity;
    this.credentials = credentials;
  }

  public ChannelCredentials credentials() {
    return credentials;
  }

  /** 200: registered; returns the heartbeat interval the control plane asks for (seconds). */
  public int register(LocalEndpoint listeners) throws IOException {
    StageFaults.check(StageFaults.Stage.REGISTRY);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("agent", identity.id());
    body.put("service", settings.service);
    body.put("namespace", settings.namespace);
    body.put("labels", settings.labels);
    body.put("address", listeners.address());
    body.put("ports", listeners.ports());
    String provedAccount = credentials.serviceAccount();
    body.put("serviceAccount", provedAccount != null ? provedAccount : settings.serviceAccount);
    if (credentials.certificateExpires() != null) {
      body.put("certificateExpires", credentials.certificateExpires());
    }
    body.put("pid", identity.pid());
    body.put("host", identity.host());
    body.put("version", Versions.INMESH);
    PlainHttp.Response r = post("/v1/register", body);
    if (r.status() != 200) {
      throw errorAnswer("register", r);
    }
    Object hb;
    try {
      hb = JsonTrees.readObject(r.body()).get("heartbeatSeconds");
    } catch (IOException | RuntimeException e) {
      throw new IOException("register answered 200 with a body that is not the expected JSON: " + e.getMessage());
    }
    return hb instanceof Number n ? Math.max(1, Math.min(3600, n.intValue())) : 5;
  }

  /** False when the control plane does not know this agent (it must register again). */
  public boolean heartbeat() throws IOException {
    StageFaults.check(StageFaults.Stage.REGISTRY);
    PlainHttp.Response r = post("/v1/heartbeat", Map.of("agent", identity.id()));
    if (r.status() == 404) {
      return false;
    }
    if (r.status() != 200) {
      throw errorAnswer("heartbeat", r);
    }
    return true;
  }

  /** Closes the kept poll connection (the agent stops, or a poll thread gives up on it). */
  public void closeConnections() {
    pollConnection.close();
  }

  public void deregister(int timeoutMs) throws IOException {
    PlainHttp.exchange(
        "POST", URI.create(base + "/v1/deregister"), JsonTrees.write(Map.of("agent", identity.id())), timeoutMs, timeoutMs, credentials);
  }

  /** False when the control plane does not know this agent (it must register again). */
  public boolean ack(String version, boolean accepted, String error) throws IOException {
    StageFaults.check(StageFaults.Stage.REGISTRY);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("agent", identity.id());
    body.put("version", version);
    body.put("accepted", accepted);
    if (error != null) {
      body.put("error", error.length() > 4000 ? error.substring(0, 4000) + "…" : error);
    }
    PlainHttp.Response r = post("/v1/ack", body);
    if (r.status() == 404) {
      return false;
    }
    if (r.status() != 200) {
      throw errorAnswer("ack", r);
    }
    return true;
  }

  /** Long-polls for a snapshot newer than {@code version}; 200 with a body, or 304 when unchanged. */
  public PlainHttp.Response poll(String version, int waitSeconds) throws IOException {
    StageFaults.check(StageFaults.Stage.REGISTRY);
    StringBuilder q = new StringBuilder("/v1/snapshot?agent=").append(enc(identity.id()));
    q.append("&service=").append(enc(settings.service)).append("&namespace=").append(enc(settings.namespace));
    if (version != null) {
      q.append("&version=").append(enc(version));
    }
    q.append("&wait=").append(waitSeconds).append('s');
    PlainHttp.Response r = pollConnection.exchange("GET", URI.create(base + q), null, CONNECT_TIMEOUT_MS, waitSeconds * 1000 + POLL_GRACE_MS, credentials);
    if (r.status() != 200 && r.status() != 304) {
      throw errorAnswer("snapshot poll", r);
    }
    return r;
  }

  /**
   * Long-polls for this agent's own view (only what its Sidecar scopes); the poll is also its
   * heartbeat. 200 with a body, or 304 when unchanged; an {@link ErrorAnswer} 404 either means
   * the control plane does not know this agent ({@link #isUnknownAgent}) or predates views
   * ({@link #isMissingEndpoint}).
   */
  public PlainHttp.Response pollView(String version, int waitSeconds) throws IOException {
    return pollView(version, waitSeconds, null);
  }

  /**
   * {@link #pollView(String, int)} carrying the ack of the last snapshot received ({@code ack=V},
   * or {@code nack=V&error=...}; null: none), instead of a {@code POST /v1/ack} on a connection of
   * its own. Only for a control plane whose view answers carry {@link #POLL_ACK_HEADER}: another
   * ignores the parameters.
   */
  public PlainHttp.Response pollView(String version, int waitSeconds, SnapshotTarget.Applied ack) throws IOException {
    StageFaults.check(StageFaults.Stage.REGISTRY);
    StringBuilder q = new StringBuilder("/v1/view?agent=").append(enc(identity.id()));
    if (version != null) {
      q.append("&version=").append(enc(version));
    }
    if (ack != null && ack.version() != null) {
      if (ack.accepted()) {
        q.append("&ack=").append(enc(ack.version()));
      } else {
        q.append("&nack=").append(enc(ack.version()));
        String error = ack.error() == null ? "" : ack.error();
        // a request line, not a body: the reason is cut shorter than a POST /v1/ack's
        q.append("&error=").append(enc(error.length() > POLL_ACK_ERROR_CHARS ? error.substring(0, POLL_ACK_ERROR_CHARS) + "…" : error));
      }
    }
    q.append("&wait=").append(waitSeconds).append('s');
    PlainHttp.Response r = pollConnection.exchange("GET", URI.create(base + q), null, CONNECT_TIMEOUT_MS, waitSeconds * 1000 + POLL_GRACE_MS, credentials);
    if (r.status() != 200 && r.status() != 304) {
      throw errorAnswer("view poll", r);
    }
    return r;
  }

  /** A 404 for an agent the control plane does not know (restarted, or expired): register again. */
  public static boolean isUnknownAgent(IOException e) {
    return e instanceof ErrorAnswer a && a.status() == 404 && a.getMessage().contains("unknown agent");
  }

  /** A 404 for the path itself: a control plane from before {@code /v1/view}. */
  public static boolean isMissingEndpoint(IOException e) {
    return e instanceof ErrorAnswer a && a.status() == 404 && a.getMessage().contains("no such path");
  }

  private static ErrorAnswer errorAnswer(String what, PlainHttp.Response r) {
    return new ErrorAnswer(what, r.status(), r.bodyText(), RetryAfter.parse(r.header("retry-after"), Instant.now()));
  }

  private PlainHttp.Response post(String path, Object body) throws IOException {
    return PlainHttp.exchange("POST", URI.create(base + path), JsonTrees.write(body), CONNECT_TIMEOUT_MS, CALL_TIMEOUT_MS, credentials);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
