package io.inmesh.policy.identity;

import io.inmesh.policy.control.ChannelCredentials;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * The agent's side of the control channel: it trusts {@code INMESH_CONTROL_CA} (read once, to
 * bootstrap) plus every root the control plane has since handed over, presents the workload
 * certificate while it is valid, and falls back to the join token as a bearer credential before
 * the first certificate (or once it has expired).
 */
public final class ControlChannelTls implements ChannelCredentials {

  private final boolean https;
  private final String token;
  private final WorkloadIdentity identity;
  private final List<X509Certificate> bootstrapRoots;
  private final String bootstrapProblem;
  private volatile Set<X509Certificate> contextRoots;
  private volatile WorkloadCertificate contextCertificate;
  private volatile SSLSocketFactory factory;

  public ControlChannelTls(String controlUrl, String controlCaFile, String token, WorkloadIdentity identity) {
    this.https = controlUrl != null && controlUrl.startsWith("https://");
    this.token = token;
    this.identity = identity;
    List<X509Certificate> roots = List.of();
    String problem = null;
    if (https) {
      if (controlCaFile == null) {
        problem = "INMESH_CONTROL_CA is unset";
      } else {
        try {
          roots = PemBlocks.certificates(Files.readString(Path.of(controlCaFile), StandardCharsets.US_ASCII));
          if (roots.isEmpty()) {
            problem = "INMESH_CONTROL_CA " + controlCaFile + " holds no PEM certificate";
          }
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
          problem = "cannot read INMESH_CONTROL_CA " + controlCaFile + ": " + e.getMessage();
        }
      }
    }
    this.bootstrapRoots = roots;
    this.bootstrapProblem = problem;
  }

  /** Why the channel cannot be verified, or null. */
  public String problem() {
    return bootstrapProblem;
  }

  @Override
  public SSLSocketFactory tls() {
    if (!https || bootstrapRoots.isEmpty()) {
      return null;
    }
    Set<X509Certificate> roots = new LinkedHashSet<>(bootstrapRoots);
    roots.addAll(identity.roots());
    WorkloadCertificate c = identity.current();
    SSLSocketFactory f = factory;
    // a new certificate needs a new context: a resumed TLS session would carry on without any
    // client certificate (the one made with the token), or with the previous one
    if (f == null || !roots.equals(contextRoots) || c != contextCertificate) {
      try {
        f = build(roots);
      } catch (GeneralSecurityException | IOException e) {
        throw new IllegalStateException("cannot set up TLS to the control plane: " + e, e);
      }
      factory = f;
      contextRoots = roots;
      contextCertificate = c;
    }
    return f;
  }

  @Override
  public String authorization() {
    WorkloadCertificate c = identity.current();
    boolean certificateProves = https && c != null && c.validAt(Instant.now());
    return token == null || certificateProves ? null : "Bearer " + token;
  }

  @Override
  public String serviceAccount() {
    WorkloadCertificate c = identity.current();
    if (c != null) {
      return c.id().serviceAccount();
    }
    return identity.expectedServiceAccount();
  }

  @Override
  public String certificateExpires() {
    WorkloadCertificate c = identity.current();
    return c == null ? null : c.expires().toString();
  }

  private SSLSocketFactory build(Set<X509Certificate> roots) throws GeneralSecurityException, IOException {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    int i = 0;
    for (X509Certificate r : roots) {
      ks.setCertificateEntry("root-" + i++, r);
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(new KeyManager[] {new CurrentCertificate()}, tmf.getTrustManagers(), null);
    return ctx.getSocketFactory();
  }

  /**
   * Presents whatever certificate is current at handshake time, and none once it has expired. The
   * alias names the certificate (its serial), so the chain and the key of one handshake always
   * belong together even when a renewal lands between the two lookups.
   */
  private final class CurrentCertificate extends X509ExtendedKeyManager {
    /** The certificates recent handshakes chose, by alias (a few: current and the one before). */
    private final java.util.Map<String, WorkloadCertificate> chosen = new java.util.concurrent.ConcurrentHashMap<>();

    private String alias() {
      WorkloadCertificate c = identity.current();
      if (c == null || !c.validAt(Instant.now())) {
        return null;
      }
      return c.leaf().getSerialNumber().toString(16);
    }

    private WorkloadCertificate byAlias(String alias) {
      WorkloadCertificate c = identity.current();
      if (c != null && c.leaf().getSerialNumber().toString(16).equals(alias)) {
        if (chosen.putIfAbsent(alias, c) == null && chosen.size() > 4) {
          chosen.keySet().removeIf(k -> !k.equals(alias) && chosen.size() > 2);
        }
        return c;
      }
      return chosen.get(alias);
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      String a = alias();
      return a == null ? null : new String[] {a};
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      String a = alias();
      if (a != null) {
        byAlias(a); // remember it: a renewal may replace current() before the key is asked for
      }
      return a;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
      return chooseClientAlias(keyType, issuers, (Socket) null);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      WorkloadCertificate c = byAlias(alias);
      return c == null ? null : c.chain().toArray(new X509Certificate[0]);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      WorkloadCertificate c = byAlias(alias);
      return c == null ? null : c.key();
    }
  }
}
