package io.inmesh.control.ca;

import io.inmesh.control.EventLog;
import io.inmesh.control.token.AdminCredential;
import io.inmesh.control.token.JoinTokens;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The running control plane's identity side: the CA (reloaded when {@code ca rotate}/{@code retire}
 * rewrite its files), the join tokens, the admin credential, and the TLS context of
 * {@code --listen-tls}, whose serving certificate and client-certificate roots follow the CA.
 */
public final class IdentityAuthority {

  /** The control plane's own serving certificate: re-issued at half-life and on every CA change. */
  static final Duration SERVING_TTL = Duration.ofDays(30);

  /** Everything the identity side needs from the command line. */
  /**
   * @param tlsHost where {@code --listen-tls} serves; null without it
   * @param tlsNames the DNS names and IP addresses its serving certificate names
   */
  public record Settings(
      Path dataDir, String trustDomain, Duration certTtl, Path caCert, Path caKey, String tlsHost, int tlsPort, List<String> tlsNames) {
    public Settings {
      tlsNames = List.copyOf(tlsNames);
    }
  }

  private final Settings settings;
  private final Clock clock;
  private final EventLog log;
  private final CaDirectory directory;
  private final JoinTokens tokens;
  private final AdminCredential admin;
  private final KeyPair servingKey = Certificates.newP256();
  private volatile CertificateAuthority ca;
  private volatile String fingerprint;
  private volatile List<X509Certificate> servingChain;
  private volatile X509TrustManager clientTrust;
  private final boolean created;

  public IdentityAuthority(Settings settings, Clock clock, EventLog log) throws IOException {
    this.settings = settings;
    this.clock = clock;
    this.log = log;
    this.directory = new CaDirectory(settings.dataDir());
    if (settings.caCert() != null) {
      this.created = false;
      install(CaDirectory.external(settings.caCert(), settings.caKey(), settings.trustDomain(), settings.certTtl(), clock));
    } else {
      this.created = !directory.exists();
      this.fingerprint = null;
      install(directory.loadOrCreate(settings.trustDomain(), settings.certTtl(), clock));
      this.fingerprint = directory.fingerprint();
    }
    this.tokens = new JoinTokens(settings.dataDir(), clock);
    this.admin = AdminCredential.loadOrCreate(settings.dataDir());
  }

  public CertificateAuthority ca() {
    return ca;
  }

  public JoinTokens tokens() {
    return tokens;
  }

  public AdminCredential admin() {
    return admin;
  }

  public String trustDomain() {
    return settings.trustDomain();
  }

  /** For the start line. */
  public String describe() {
    return "trust domain " + settings.trustDomain() + ", CA " + (created ? "created in " : "") + ca.source()
        + ", certificates " + io.inmesh.control.Durations.format(settings.certTtl());
  }

  /** Called every second: picks up a rotation, renews the serving certificate at half-life. */
  public void tick() {
    if (settings.caCert() == null) {
      String now = directory.fingerprint();
      if (!now.equals(fingerprint)) {
        try {
          CertificateAuthority next = directory.load(settings.trustDomain(), settings.certTtl(), clock);
          install(next);
          fingerprint = now;
          log.info("ca: reloaded " + next.source() + "; signing with " + next.signer().getSubjectX500Principal().getName());
        } catch (IOException | RuntimeException e) {
          // half-written by a concurrent command, or broken: keep the CA in force and say so once
          if (!now.equals(brokenFingerprint)) {
            brokenFingerprint = now;
            log.info("ca: cannot reload " + directory.dir() + " (" + e.getMessage() + "); still signing with the previous CA");
          }
        }
      }
    }
    List<X509Certificate> chain = servingChain;
    if (chain == null) {
      return; // no --listen-tls: nothing to serve
    }
    Instant notBefore = chain.get(0).getNotBefore().toInstant();
    Instant notAfter = chain.get(0).getNotAfter().toInstant();
    if (clock.instant().isAfter(notBefore.plus(Duration.between(notBefore, notAfter).dividedBy(2)))) {
      issueServing(ca);
    }
  }

  private volatile String brokenFingerprint;

  private void install(CertificateAuthority next) throws IOException {
    try {
      KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
      ks.load(null, null);
      int i = 0;
      for (X509Certificate r : next.roots()) {
        ks.setCertificateEntry("root-" + i++, r);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
      tmf.init(ks);
      for (TrustManager tm : tmf.getTrustManagers()) {
        if (tm instanceof X509TrustManager x) {
          clientTrust = x;
        }
      }
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot build the trust store from the CA roots: " + e, e);
    }
    this.ca = next;
    issueServing(next);
  }

  private void issueServing(CertificateAuthority authority) {
    if (settings.tlsNames().isEmpty()) {
      servingChain = null;
      return;
    }
    List<String> dns = new ArrayList<>();
    List<String> ips = new ArrayList<>();
    for (String n : settings.tlsNames()) {
      if (n.matches("[0-9.]+") || n.contains(":")) {
        ips.add(n);
      } else {
        dns.add(n);
      }
    }
    servingChain = authority.servingCertificate(servingKey.getPublic(), dns, ips, SERVING_TTL);
  }

  /** The context {@code --listen-tls} serves with; it follows rotations without a restart. */
  public SSLContext serverContext() throws IOException {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(new KeyManager[] {new ServingKeys()}, new TrustManager[] {new ClientRoots()}, null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot set up TLS: " + e, e);
    }
  }

  private interface KeyManager extends javax.net.ssl.KeyManager {}

  private final class ServingKeys extends X509ExtendedKeyManager implements KeyManager {
    private static final String ALIAS = "inmesh-control";

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return null;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return new String[] {ALIAS};
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return "EC".equals(keyType) ? ALIAS : null;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      return "EC".equals(keyType) ? ALIAS : null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return servingChain.toArray(new X509Certificate[0]);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return servingKey.getPrivate();
    }
  }

  /** Client certificates are checked against the roots in force now. */
  private final class ClientRoots extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      clientTrust.checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      clientTrust.checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      clientTrust.checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("the control plane does not act as a TLS client");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      checkServerTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return ca.roots().toArray(new X509Certificate[0]);
    }
  }

  /** True for 127/8 and ::1. */
  public static boolean isLoopback(InetAddress a) {
    return a != null && a.isLoopbackAddress();
  }
}
