package io.inmesh.agent.security;

import io.inmesh.policy.identity.SpiffeId;
import io.inmesh.policy.identity.WorkloadCertificate;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Trusts what chains to the mesh's roots as they are now (two during a root rotation), and checks
 * peers by their SPIFFE URI SAN, never by host name (https://istio.io/latest/docs/concepts/security/#secure-naming):
 * a client must present some mesh identity; a server must present one of the identities the
 * registry vouches for the destination ({@code expected}). The JDK's PKIX trust manager does the
 * path validation (signatures, validity, key usage), rebuilt when the roots change.
 */
final class MeshTrustManager extends X509ExtendedTrustManager {
  private final Supplier<List<X509Certificate>> roots;
  /** Null on the server side: any mesh identity may connect (authorization decides later). */
  private final Set<String> expected;
  private final TlsStats stats;
  private volatile List<X509Certificate> builtFor;
  private volatile X509TrustManager pkix;

  MeshTrustManager(Supplier<List<X509Certificate>> roots, Set<String> expected) {
    this(roots, expected, null);
  }

  MeshTrustManager(Supplier<List<X509Certificate>> roots, Set<String> expected, TlsStats stats) {
    this.roots = roots;
    this.expected = expected;
    this.stats = stats;
  }

  private X509TrustManager pkix() throws CertificateException {
    List<X509Certificate> r = roots.get();
    if (r == null || r.isEmpty()) {
      throw new CertificateException("inmesh: no mesh roots yet: the peer cannot be verified");
    }
    X509TrustManager tm = pkix;
    if (tm != null && r == builtFor) {
      return tm;
    }
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      int i = 0;
      for (X509Certificate c : r) {
        ks.setCertificateEntry("root-" + i++, c);
      }
      TrustManagerFactory f = TrustManagerFactory.getInstance("PKIX");
      f.init(ks);
      for (TrustManager t : f.getTrustManagers()) {
        if (t instanceof X509TrustManager x) {
          pkix = x;
          builtFor = r;
          return x;
        }
      }
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new CertificateException("inmesh: cannot build the mesh trust store: " + e, e);
    }
    throw new CertificateException("inmesh: no PKIX trust manager");
  }

  /** The peer's SPIFFE ID (the leaf's URI SAN), or a CertificateException. */
  static String spiffeId(X509Certificate[] chain) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("inmesh: the peer presented no certificate");
    }
    String uri = WorkloadCertificate.uriSan(chain[0]);
    try {
      return SpiffeId.parse(uri).uri();
    } catch (IllegalArgumentException e) {
      throw new CertificateException("inmesh: the peer's certificate carries no SPIFFE ID (" + uri + ")");
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    pkix().checkClientTrusted(chain, authType);
    spiffeId(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    pkix().checkServerTrusted(chain, authType);
    String id = spiffeId(chain);
    if (expected != null && !expected.contains(id)) {
      throw new CertificateException(
          "inmesh: the server presented " + id + ", which is not an identity of the destination " + expected + " (secure naming)");
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    counted(true, chain, authType, socket instanceof SSLSocket s ? s.getHandshakeSession() : null);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    // the SPIFFE ID is the check: no host name verification
    counted(false, chain, authType, socket instanceof SSLSocket s ? s.getHandshakeSession() : null);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    counted(true, chain, authType, engine == null ? null : engine.getHandshakeSession());
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    counted(false, chain, authType, engine == null ? null : engine.getHandshakeSession());
  }

  /** A full handshake verifies the peer here (a resumed one does not): counted with its protocol and the peer's serial. */
  private void counted(boolean inbound, X509Certificate[] chain, String authType, SSLSession handshake) throws CertificateException {
    try {
      if (inbound) {
        checkClientTrusted(chain, authType);
      } else {
        checkServerTrusted(chain, authType);
      }
    } catch (CertificateException | RuntimeException e) {
      if (stats != null) {
        stats.rejected(inbound);
      }
      throw e;
    }
    if (stats != null) {
      stats.fullHandshake(inbound, handshake == null ? null : handshake.getProtocol(), spiffeId(chain), chain[0]);
    }
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    List<X509Certificate> r = roots.get();
    return r == null ? new X509Certificate[0] : r.toArray(new X509Certificate[0]);
  }
}
