package io.inmesh.policy.identity;

import io.inmesh.launcher.Settings;
import io.inmesh.policy.control.ChannelCredentials;
import io.inmesh.policy.control.PlainHttp;
import io.inmesh.policy.log.Log;
import io.inmesh.policy.tree.JsonTrees;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;

/**
 * This workload's identity, kept on one background thread: the key is made in memory, a CSR sent
 * with the join token, the certificate renewed at half-life (with jitter, so replicas started
 * together do not renew together) by proving the current certificate, the roots refreshed, and
 * everything cached so a restart while the control plane is down keeps the identity until expiry.
 *
 * <p>For the engine: {@link #required()} says whether this workload must have an identity (it was
 * given {@code INMESH_TOKEN}); {@link #ready()} / {@link #awaitReady(long)} whether it has one now.
 * A workload that requires one and has none must not send or accept mesh traffic that needs it.
 */
public final class WorkloadIdentity {

  static final long RETRY_BASE_MS = 250;
  static final long RETRY_MAX_MS = 10_000;
  static final long BUNDLE_REFRESH_MS = 30_000;

  private final String controlUrl;
  private final String token;
  private final String namespace;
  private final String serviceAccount;
  private final IdentityCache cache;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private final Object lock = new Object();
  private volatile WorkloadCertificate current;
  private volatile List<X509Certificate> roots = List.of();
  private volatile ControlChannelTls channel;
  private volatile String lastError;
  private volatile Instant nextRenewal;
  private volatile int renewals;
  private volatile boolean stopped;
  private Thread thread;

  public WorkloadIdentity(Settings settings) {
    this.controlUrl = settings.controlUrl;
    this.token = settings.token;
    String[] claims = token == null ? null : Settings.tokenClaims(token);
    this.namespace = claims == null ? settings.namespace : claims[1];
    this.serviceAccount = claims == null ? settings.serviceAccount : claims[2];
    this.cache = new IdentityCache(Path.of(settings.cacheDir));
    this.channel = new ControlChannelTls(settings.controlUrl, settings.controlCa, token, this);
  }

  /** The credentials the control client uses (TLS and the token). */
  public ChannelCredentials channel() {
    return channel;
  }

  /** True when this workload was given a join token: it must have an identity to take part in mTLS. */
  public boolean required() {
    return token != null && controlUrl != null;
  }

  /** True when a valid certificate is in hand. */
  public boolean ready() {
    WorkloadCertificate c = current;
    return c != null && c.validAt(Instant.now());
  }

  /** Waits up to {@code millis} for a valid certificate; true if there is one. */
  public boolean awaitReady(long millis) {
    long deadline = System.nanoTime() + millis * 1_000_000;
    synchronized (lock) {
      while (!ready()) {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
          return false;
        }
        try {
          lock.wait(left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return true;
    }
  }

  public WorkloadCertificate current() {
    return current;
  }

  /** The roots the mesh trusts now (two during a root rotation). */
  public List<X509Certificate> roots() {
    return roots;
  }

  String expectedServiceAccount() {
    return required() ? serviceAccount : null;
  }

  /** Runs after every new certificate (first, renewed, or from the cache). */
  public void onChange(Runnable r) {
    listeners.add(r);
  }

  /** Starts the background thread; call from a background thread or premain (it does no I/O itself). */
  public synchronized void start() {
    if (!required() || thread != null) {
      return;
    }
    thread = new Thread(this::run, "inmesh-identity");
    thread.setDaemon(true);
    thread.start();
  }

  public void stop() {
    stopped = true;
    Thread t = thread;
    if (t != null) {
      t.interrupt();
    }
  }

  private void run() {
    if (channel.problem() != null) {
      Log.warn("identity: " + channel.problem() + "; the agent cannot reach " + controlUrl + " safely and has no identity");
    }
    loadCache();
    int failures = 0;
    long lastBundle = 0;
    while (!stopped) {
      WorkloadCertificate c = current;
      Instant now = Instant.now();
      if (c == null || !now.isBefore(nextRenewal)) {
        try {
          obtain(c != null && c.validAt(now) ? c : null);
          failures = 0;
          lastBundle = System.currentTimeMillis();
        } catch (IOException | RuntimeException e) {
          failures++;
          lastError = e.getMessage();
          Log.once(Log.Level.WARN, "identity-" + e.getMessage(), "identity: cannot obtain a certificate from " + controlUrl + ": " + e.getMessage()
              + (ready() ? " (keeps the current one until " + current.expires() + ")" : "; retrying"));
          sleep(backoff(failures));
          continue;
        }
      } else if (System.currentTimeMillis() - lastBundle > BUNDLE_REFRESH_MS) {
        lastBundle = System.currentTimeMillis();
        refreshRoots();
      }
      long wait = Math.min(Duration.between(Instant.now(), nextRenewal).toMillis(), BUNDLE_REFRESH_MS);
      sleep(Math.max(50, wait));
    }
  }

  private void loadCache() {
    try {
      IdentityCache.Cached cached = cache.read(namespace, serviceAccount, Instant.now());
      if (cached != null) {
        roots = List.copyOf(cached.roots());
        install(cached.certificate());
        Log.info("identity " + cached.certificate().id() + " from the cache (certificate until " + cached.certificate().expires() + ")");
      }
    } catch (IOException e) {
      Log.warn("identity: " + e.getMessage());
    }
  }

  /** Asks for a certificate: proving {@code valid} when there is one, else with the join token. */
  private void obtain(WorkloadCertificate valid) throws IOException {
    KeyPair keys = CertificateRequest.newKeyPair();
    String csr = CertificateRequest.pem(keys, requestedId(valid));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("csr", csr);
    if (valid != null) {
      List<String> chain = new ArrayList<>();
      for (X509Certificate x : valid.chain()) {
        chain.add(PemBlocks.certificate(x));
      }
      byte[] sig = CertificateRequest.sign(valid.key(), csr.getBytes(StandardCharsets.UTF_8));
      body.put("proof", Map.of("chain", chain, "signature", Base64.getEncoder().encodeToString(sig)));
    }
    ChannelCredentials credentials = valid != null ? withoutToken(channel) : channel;
    PlainHttp.Response r =
        PlainHttp.exchange("POST", URI.create(controlUrl + "/v1/certificate"), JsonTrees.write(body), 2_000, 10_000, credentials);
    if (r.status() != 200) {
      String why = r.bodyText();
      try {
        Object e = JsonTrees.readObject(r.body()).get("error");
        why = e == null ? why : e.toString();
      } catch (IOException | RuntimeException ignored) {
        // not JSON: show the text
      }
      throw new IOException("the control plane answered " + r.status() + ": " + why);
    }
    Map<String, Object> answer = JsonTrees.readObject(r.body());
    List<X509Certificate> chain = certificates(answer.get("chain"));
    List<X509Certificate> newRoots = certificates(answer.get("roots"));
    if (chain.isEmpty() || !chain.get(0).getPublicKey().equals(keys.getPublic())) {
      throw new IOException("the control plane answered a certificate for another key");
    }
    SpiffeId id = SpiffeId.parse(String.valueOf(answer.get("identity")));
    WorkloadCertificate c = new WorkloadCertificate(id, keys.getPrivate(), chain, "control-plane");
    // cached before it is used: whatever this JVM has shown, a restart finds
    try {
      cache.write(c, newRoots);
    } catch (IOException e) {
      Log.once(Log.Level.WARN, "identity-cache", "identity: not cached (" + e.getMessage() + "); a restart needs the control plane");
    }
    roots = List.copyOf(newRoots);
    boolean first = current == null;
    install(c);
    if (valid != null) {
      renewals++;
    }
    lastError = null;
    if (first) {
      Log.info("identity " + id + " (certificate until " + c.expires() + ")");
    } else {
      Log.debug("identity " + id + " renewed (certificate until " + c.expires() + ")");
    }
  }

  /** The identity to ask for: the current certificate's (renewal), else the token's in the CA's trust domain. */
  private SpiffeId requestedId(WorkloadCertificate valid) throws IOException {
    if (valid != null) {
      return valid.id();
    }
    // the trust domain is the control plane's: learn it once from the bundle endpoint
    Map<String, Object> bundle = fetchBundle();
    String td = String.valueOf(bundle.get("trustDomain"));
    try {
      return new SpiffeId(td, namespace, serviceAccount);
    } catch (IllegalArgumentException e) {
      throw new IOException(e.getMessage());
    }
  }

  private Map<String, Object> fetchBundle() throws IOException {
    PlainHttp.Response r = PlainHttp.exchange("GET", URI.create(controlUrl + "/v1/trust-bundle"), null, 2_000, 10_000, channel);
    if (r.status() != 200) {
      throw new IOException("trust bundle: the control plane answered " + r.status());
    }
    return JsonTrees.readObject(r.body());
  }

  private void refreshRoots() {
    try {
      List<X509Certificate> fresh = certificates(fetchBundle().get("roots"));
      if (!fresh.isEmpty() && !fresh.equals(roots)) {
        roots = List.copyOf(fresh);
        Log.info("identity: the mesh now trusts " + fresh.size() + (fresh.size() == 1 ? " root" : " roots"));
        WorkloadCertificate c = current;
        if (c != null) {
          try {
            cache.write(c, fresh);
          } catch (IOException ignored) {
            // said when the certificate was cached
          }
        }
        listeners.forEach(Runnable::run);
      }
    } catch (IOException | RuntimeException e) {
      // the next renewal brings the roots too
    }
  }

  private void install(WorkloadCertificate c) {
    synchronized (lock) {
      current = c;
      lock.notifyAll();
    }
    Instant now = Instant.now();
    long left = Math.max(0, Duration.between(now, c.expires()).toMillis());
    // half of what is left, minus up to a tenth of it at random
    long jitter = ThreadLocalRandom.current().nextLong(left / 10 + 1);
    nextRenewal = now.plusMillis(Math.max(1_000, left / 2 - jitter));
    listeners.forEach(Runnable::run);
  }

  /** What {@code :15000/config_dump} shows: the chain and roots, never the key. */
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    WorkloadCertificate c = current;
    m.put("required", required());
    m.put("identity", c == null ? null : c.id().uri());
    m.put("ready", ready());
    m.put("source", c == null ? null : c.source());
    m.put("expires", c == null ? null : c.expires().toString());
    m.put("nextRenewal", c == null || nextRenewal == null ? null : nextRenewal.toString());
    m.put("renewals", renewals);
    m.put("lastError", lastError);
    List<String> chain = new ArrayList<>();
    if (c != null) {
      for (X509Certificate x : c.chain()) {
        chain.add(PemBlocks.certificate(x));
      }
    }
    m.put("certificateChain", chain);
    List<String> rootPems = new ArrayList<>();
    for (X509Certificate r : roots) {
      rootPems.add(PemBlocks.certificate(r));
    }
    m.put("roots", rootPems);
    return m;
  }

  private static ChannelCredentials withoutToken(ChannelCredentials c) {
    return new ChannelCredentials() {
      @Override
      public javax.net.ssl.SSLSocketFactory tls() {
        return c.tls();
      }

      @Override
      public String authorization() {
        return null; // a renewal proves the current certificate, so an expired token does not matter
      }
    };
  }

  private static List<X509Certificate> certificates(Object pems) throws IOException {
    List<X509Certificate> out = new ArrayList<>();
    if (pems instanceof List<?> list) {
      for (Object o : list) {
        try {
          out.addAll(PemBlocks.certificates(String.valueOf(o)));
        } catch (GeneralSecurityException e) {
          throw new IOException("unreadable certificate from the control plane: " + e.getMessage(), e);
        }
      }
    }
    return out;
  }

  static long backoff(int failures) {
    long cap = Math.min(RETRY_MAX_MS, RETRY_BASE_MS << Math.min(failures, 10));
    return cap / 2 + ThreadLocalRandom.current().nextLong(cap / 2 + 1);
  }

  private void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      // only stop() interrupts; the loop sees the flag
    }
  }
}
