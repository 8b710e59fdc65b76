package io.inmesh.agent.security;

import io.inmesh.bootstrap.UpstreamTls;
import io.inmesh.policy.identity.WorkloadCertificate;
import io.inmesh.policy.identity.WorkloadIdentity;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * The agent's TLS: {@code SSLContext}s built once over this workload's identity as it is at each
 * handshake (so renewals and trust-bundle changes reach new connections without a rebuild, while
 * open connections keep working until they close), TLS 1.3 where both sides have it (1.2 otherwise),
 * session resumption left on (the JDK's session caches, one per context).
 *
 * <p>One server context (client certificates required, any mesh identity accepted: authorization
 * decides later), and one client context per set of expected server identities, so that a resumed
 * session was verified against the same set.
 *
 * <p>Rotation: when this workload's certificate or the mesh roots change ({@link #rotate()}), every
 * context is replaced by a fresh one for new connections. A resumed session skips the certificate
 * exchange, so without this a connection made after a renewal could still resume a session of the
 * old certificate (or of roots no longer trusted): fresh contexts have empty session caches and new
 * ticket keys, so the first connection after a rotation on either side is a full handshake with the
 * certificates in force, and later ones resume that. Connections already open keep their engines and
 * work until they close. The {@link UpstreamTls} objects handed to adapters stay the same (adapters
 * key their connection reuse on them); they take the context of the current generation.
 */
public final class MeshTls {
  static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
  /**
   * How long a session may be resumed: resumption skips the certificate exchange, so it is bounded
   * well below certificate lifetimes (a resumed session proves the identity its full handshake did).
   */
  static final int SESSION_TIMEOUT_SECONDS = 600;

  private final Supplier<WorkloadCertificate> certificate;
  private final Supplier<List<X509Certificate>> roots;
  private final WorkloadKeyManager keys;
  private final TlsStats stats = new TlsStats();
  /** The contexts new connections use; replaced whole on rotation. */
  private volatile Generation generation = new Generation(0);
  private final Map<Set<String>, Client> clients = new ConcurrentHashMap<>();
  /**
   * The randomness of every context: a DRBG seeded once, here. The JDK's default (NativePRNG) reads
   * /dev/urandom whenever its buffer is older than 100 ms — in {@code SSLContext.init} and in every
   * handshake — and for a non-blocking client that read happens on its event loop or Reactor thread.
   */
  private volatile SecureRandom random;

  public MeshTls(WorkloadIdentity identity) {
    this(identity::current, identity::roots);
    identity.onChange(this::rotate);
  }

  MeshTls(Supplier<WorkloadCertificate> certificate, Supplier<List<X509Certificate>> roots) {
    this.certificate = certificate;
    this.roots = roots;
    this.keys = new WorkloadKeyManager(certificate, stats);
  }

  /** The certificate or the roots changed: new connections get fresh contexts (see the class comment). */
  public synchronized void rotate() {
    Generation g = generation;
    WorkloadCertificate c = certificate.get();
    List<X509Certificate> r = roots.get();
    if (g.certificate == c && g.roots == r && g.number > 0) {
      return; // nothing changed (a listener may run more than once per change)
    }
    Generation next = new Generation(g.number + 1);
    next.certificate = c;
    next.roots = r;
    generation = next;
    stats.rotations.increment();
  }

  /** Handshake counters and what the last full handshakes showed, for {@code /stats}. */
  public TlsStats stats() {
    return stats;
  }

  /** The contexts of one certificate and set of roots. */
  private final class Generation {
    final long number;
    volatile WorkloadCertificate certificate;
    volatile List<X509Certificate> roots;
    private volatile SSLContext server;
    private final Map<Set<String>, SSLContext> clients = new ConcurrentHashMap<>();

    Generation(long number) {
      this.number = number;
    }

    SSLContext server() throws GeneralSecurityException {
      SSLContext s = server;
      if (s == null) {
        synchronized (this) {
          s = server;
          if (s == null) {
            s = SSLContext.getInstance("TLS");
            s.init(new KeyManager[] {keys}, new TrustManager[] {new MeshTrustManager(MeshTls.this.roots, null, stats)}, random());
            s.getServerSessionContext().setSessionTimeout(SESSION_TIMEOUT_SECONDS);
            server = s;
          }
        }
      }
      return s;
    }

    SSLContext client(Set<String> expected) {
      SSLContext known = clients.get(expected);
      if (known != null) {
        return known;
      }
      if (clients.size() > 1024) {
        clients.clear(); // bounded as MeshTls.clients is
      }
      return clients.computeIfAbsent(expected, k -> {
        try {
          SSLContext c = SSLContext.getInstance("TLS");
          c.init(new KeyManager[] {keys}, new TrustManager[] {new MeshTrustManager(MeshTls.this.roots, k, stats)}, random());
          c.getClientSessionContext().setSessionTimeout(SESSION_TIMEOUT_SECONDS);
          return c;
        } catch (GeneralSecurityException e) {
          throw new IllegalStateException("inmesh: cannot build a TLS context: " + e, e);
        }
      });
    }
  }

  /** The SPIFFE ID this workload presents now, or null. */
  public String ownId() {
    WorkloadCertificate c = certificate.get();
    return c == null ? null : c.id().uri();
  }

  /** The server context of the current generation: what a new inbound connection uses. */
  public SSLContext serverContext() throws GeneralSecurityException {
    return generation.server();
  }

  /**
   * Made and seeded at first need — the identity thread's {@link #warm()} once a certificate is
   * there — not in premain: a DRBG's instantiation and seeding are a noticeable share of the mesh
   * profile's start-up (issue 13), and a workload without an identity never needs one.
   */
  private SecureRandom random() {
    SecureRandom r = random;
    if (r == null) {
      synchronized (this) {
        r = random;
        if (r == null) {
          r = seeded();
          random = r;
        }
      }
    }
    return r;
  }

  private static SecureRandom seeded() {
    SecureRandom r;
    try {
      r = SecureRandom.getInstance("DRBG");
    } catch (GeneralSecurityException e) {
      r = new SecureRandom();
    }
    r.nextInt(); // seeds it now, off any request path
    return r;
  }

  /**
   * Off the request path (identity thread): runs one certificate-path validation of this workload's
   * own chain, so that the JDK's one-time initialisation of its path validation (which reads its
   * configuration files) does not happen inside the first handshake, on a non-blocking client's
   * event loop.
   */
  void warm() {
    WorkloadCertificate c = certificate.get();
    if (c == null) {
      return;
    }
    random(); // seeded here, off any request path (see random())
    try {
      new MeshTrustManager(roots, null).checkClientTrusted(c.chain().toArray(new X509Certificate[0]), "UNKNOWN");
    } catch (java.security.cert.CertificateException | RuntimeException e) {
      // only a warm-up: the first handshake says what is wrong
    }
  }

  /** Server engines require a client certificate: mTLS, never one-way TLS. */
  public static void configureServerEngine(SSLEngine engine) {
    engine.setUseClientMode(false);
    engine.setEnabledProtocols(PROTOCOLS);
    engine.setNeedClientAuth(true);
  }

  /** The same, counting the connection (see {@link TlsStats}). */
  public void configureInboundEngine(SSLEngine engine) {
    configureServerEngine(engine);
    stats.inboundConnections.increment();
  }

  /** The client side for servers that must present one of {@code expected}. */
  public UpstreamTls client(Set<String> expected) {
    Set<String> key = Set.copyOf(new TreeSet<>(expected));
    Client known = clients.get(key);
    if (known != null) {
      return known;
    }
    if (clients.size() > 1024) {
      clients.clear(); // bounded: identity sets come from policy and the registry
    }
    Client made = clients.computeIfAbsent(key, k -> new Client(this, k));
    made.context(); // builds it now: a broken setup fails here, not in the middle of a connection
    return made;
  }

  /**
   * {@code X-Forwarded-Client-Cert} as Istio's sidecars set it for a request that arrived over mTLS
   * (https://istio.io/latest/docs/ops/configuration/traffic-management/network-topologies/#forwarding-external-client-attributes-ip-address-certificate-info-to-destination-workloads):
   * {@code By=<own SPIFFE ID>;Hash=<SHA-256 of the peer's leaf certificate, hex>;Subject="";URI=<peer SPIFFE ID>}.
   */
  public String forwardedClientCert(Certificate[] peer) throws GeneralSecurityException {
    if (peer == null || peer.length == 0 || !(peer[0] instanceof X509Certificate leaf)) {
      return null;
    }
    String uri = MeshTrustManager.spiffeId(new X509Certificate[] {leaf});
    String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(leaf.getEncoded()));
    String by = ownId();
    return "By=" + (by == null ? "" : by) + ";Hash=" + hash + ";Subject=\"\";URI=" + uri;
  }

  /** The client side for one set of expected server identities. */
  static final class Client implements UpstreamTls {
    private final MeshTls tls;
    private final Set<String> expected;

    Client(MeshTls tls, Set<String> expected) {
      this.tls = tls;
      this.expected = expected;
    }

    SSLContext context() {
      return tls.generation.client(expected);
    }

    @Override
    public SSLEngine newEngine(String peerHost, int port) {
      SSLEngine e = context().createSSLEngine(peerHost, port);
      e.setUseClientMode(true);
      e.setEnabledProtocols(PROTOCOLS);
      tls.stats.outboundConnections.increment();
      return e;
    }

    @Override
    public SSLSocketFactory socketFactory() {
      tls.stats.outboundConnections.increment(); // adapters ask for the factory once per connection
      return context().getSocketFactory();
    }

    @Override
    public String expected() {
      return expected.toString();
    }

    @Override
    public String toString() {
      return "mTLS expecting " + expected;
    }
  }
}
