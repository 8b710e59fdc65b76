package io.inmesh.policy.control;

import io.inmesh.policy.control.PlainHttp;
import io.inmesh.launcher.Settings;
import io.inmesh.launcher.Versions;
import io.inmesh.policy.tree.JsonTrees;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** The control plane's HTTP+JSON API as the agent uses it (see the README for the contract). */
public final class ControlClient {
  static final int CONNECT_TIMEOUT_MS = 2_000;
  static final int CALL_TIMEOUT_MS = 5_000;

  private final String base;
  private final Settings settings;
  private final AgentIdentity identity;
  private final ChannelCredentials credentials;

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
      throw new IOException("register answered " + r.status() + ": " + r.bodyText());
    }
    Object hb = JsonTrees.readObject(r.body()).get("heartbeatSeconds");
    return hb instanceof Number n ? Math.max(1, n.intValue()) : 5;
  }

  /** False when the control plane does not know this agent (it must register again). */
  public boolean heartbeat() throws IOException {
    PlainHttp.Response r = post("/v1/heartbeat", Map.of("agent", identity.id()));
    if (r.status() == 404) {
      return false;
    }
    if (r.status() != 200) {
      throw new IOException("heartbeat answered " + r.status());
    }
    return true;
  }

  public void deregister(int timeoutMs) throws IOException {
    PlainHttp.exchange(
        "POST", URI.create(base + "/v1/deregister"), JsonTrees.write(Map.of("agent", identity.id())), timeoutMs, timeoutMs, credentials);
  }

  public void ack(String version, boolean accepted, String error) throws IOException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("agent", identity.id());
    body.put("version", version);
    body.put("accepted", accepted);
    if (error != null) {
      body.put("error", error.length() > 4000 ? error.substring(0, 4000) + "…" : error);
    }
    post("/v1/ack", body);
  }

  /** Long-polls for a snapshot newer than {@code version}; 200 with a body, or 304 when unchanged. */
  public PlainHttp.Response poll(String version, int waitSeconds) throws IOException {
    StringBuilder q = new StringBuilder("/v1/snapshot?agent=").append(enc(identity.id()));
    q.append("&service=").append(enc(settings.service)).append("&namespace=").append(enc(settings.namespace));
    if (version != null) {
      q.append("&version=").append(enc(version));
    }
    q.append("&wait=").append(waitSeconds).append('s');
    return PlainHttp.exchange("GET", URI.create(base + q), null, CONNECT_TIMEOUT_MS, (waitSeconds + 10) * 1000, credentials);
  }

  private PlainHttp.Response post(String path, Object body) throws IOException {
    return PlainHttp.exchange("POST", URI.create(base + path), JsonTrees.write(body), CONNECT_TIMEOUT_MS, CALL_TIMEOUT_MS, credentials);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
