package io.inmesh.agent.security;

import io.inmesh.bootstrap.UpstreamTls;
import io.inmesh.policy.identity.PemBlocks;
import io.inmesh.policy.model.ClientTlsSettings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * TLS the agent originates to a server outside the mesh's identities: DestinationRule {@code tls}
 * SIMPLE and MUTUAL (https://istio.io/latest/docs/reference/config/networking/destination-rule/#ClientTLSSettings),
 * as in Istio's egress TLS origination task
 * (https://istio.io/latest/docs/tasks/traffic-management/egress/egress-tls-origination/): the
 * application calls {@code http://host/...}, the connection to the endpoint is TLS.
 *
 * <ul>
 *   <li>{@code caCertificates}: the roots the server's chain must reach; without it the JVM's default
 *       trust store (Istio verifies with the OS roots when the field is omitted).
 *   <li>{@code subjectAltNames}: the server's certificate must carry one of them (DNS, URI or IP SAN);
 *       without them, the name sent as SNI (or the host the application called) must match its DNS or
 *       IP SANs, as Istio's automatic SAN validation does from the request's host.
 *   <li>{@code sni}: the server name sent; without it the host the application called (none for an
 *       IP address).
 *   <li>MUTUAL: {@code clientCertificate} (PEM chain) and {@code privateKey} (unencrypted PKCS#8 PEM)
 *       are presented.
 *   <li>{@code insecureSkipVerify}: neither the chain nor the names are checked.
 * </ul>
 *
 * <p>The files are read when first needed and again when one of them changes (checked at most once a
 * second, on new connections, however often they come): replacing a certificate file reaches new
 * connections without a policy change, also through a socket factory an adapter keeps (OkHttp keeps
 * one per {@code UpstreamTls}, its pool key): {@link #socketFactory()} hands out one factory whose
 * sockets come from the context of the moment. A file that cannot be read fails the connection
 * (503 UF): never plain text.
 */
final class OriginatedTls implements UpstreamTls {
  private static final long RECHECK_NANOS = 1_000_000_000L;

  private final ClientTlsSettings settings;
  private final String sni;
  private final List<String> names;
  private final TlsStats stats;
  private volatile Material material;
  private volatile long checkedAt;
  private final Sockets sockets = new Sockets();

  OriginatedTls(ClientTlsSettings settings, String host, TlsStats stats) {
    this.settings = settings;
    String name = settings.sni() != null && !settings.sni().isEmpty() ? settings.sni() : host;
    this.sni = name == null || isIpLiteral(name) ? null : name;
    List<String> sans = settings.subjectAltNames();
    this.names = sans != null && !sans.isEmpty() ? List.copyOf(sans) : name == null ? List.of() : List.of(name);
    this.stats = stats;
  }

  @Override
  public SSLEngine newEngine(String peerHost, int port) {
    SSLEngine e = context().createSSLEngine(peerHost, port);
    e.setUseClientMode(true);
    configure(e.getSSLParameters(), e::setSSLParameters);
    stats.outboundConnections.increment();
    return e;
  }

  /**
   * The rule's sockets: fails here (IllegalStateException) when the files cannot be used now, and
   * each socket it makes later takes the context of that moment (counted then, per connection).
   */
  @Override
  public SSLSocketFactory socketFactory() {
    context();
    return sockets;
  }

  @Override
  public String expected() {
    return names.toString();
  }

  @Override
  public String toString() {
    return settings.mode() + " TLS expecting " + names + (sni == null ? "" : " (SNI " + sni + ")");
  }

  private void configure(SSLParameters p, java.util.function.Consumer<SSLParameters> apply) {
    p.setProtocols(MeshTls.PROTOCOLS);
    if (sni != null) {
      p.setServerNames(List.<SNIServerName>of(new SNIHostName(sni)));
    }
    p.setEndpointIdentificationAlgorithm(null); // the names are checked by the trust manager below
    apply.accept(p);
  }

  SSLContext context() {
    Material m = material;
    long now = System.nanoTime();
    if (m != null && now - checkedAt <= RECHECK_NANOS) {
      return m.context;
    }
    synchronized (this) {
      m = material;
      if (m == null || (now - checkedAt > RECHECK_NANOS && m.stale())) {
        try {
          m = load();
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
          throw new IllegalStateException("inmesh: DestinationRule tls " + settings.mode() + ": " + e.getMessage()
              + "; the call fails rather than going out without the TLS it asks for", e);
        }
        material = m;
      }
      // the time of the last look at the files, not of the last call: calls more often than once a
      // second must not put the next look off for ever
      checkedAt = now;
    }
    return m.context;
  }

  private Material load() throws IOException, GeneralSecurityException {
    List<Path> files = new ArrayList<>();
    KeyManager[] keys = null;
    if (settings.mode() == ClientTlsSettings.Mode.MUTUAL && settings.clientCertificate() != null && settings.privateKey() != null) {
      Path certFile = Path.of(settings.clientCertificate());
      Path keyFile = Path.of(settings.privateKey());
      files.add(certFile);
      files.add(keyFile);
      List<X509Certificate> chain = PemBlocks.certificates(Files.readString(certFile, StandardCharsets.ISO_8859_1));
      if (chain.isEmpty()) {
        throw new IOException(certFile + " holds no certificate");
      }
      PrivateKey key = privateKey(keyFile, chain.get(0));
      keys = new KeyManager[] {new ClientKey(key, chain.toArray(new X509Certificate[0]))};
    }
    X509TrustManager pkix = null;
    if (!settings.insecureSkipVerify()) {
      TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      if (settings.caCertificates() != null) {
        Path caFile = Path.of(settings.caCertificates());
        files.add(caFile);
        List<X509Certificate> roots = PemBlocks.certificates(Files.readString(caFile, StandardCharsets.ISO_8859_1));
        if (roots.isEmpty()) {
          throw new IOException(caFile + " holds no certificate");
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        int i = 0;
        for (X509Certificate r : roots) {
          ks.setCertificateEntry("ca-" + i++, r);
        }
        f.init(ks);
      } else {
        f.init((KeyStore) null); // the JVM's default roots
      }
      for (TrustManager t : f.getTrustManagers()) {
        if (t instanceof X509TrustManager x) {
          pkix = x;
        }
      }
      if (pkix == null) {
        throw new GeneralSecurityException("no X.509 trust manager");
      }
    }
    SSLContext c = SSLContext.getInstance("TLS");
    c.init(keys, new TrustManager[] {new Verifier(pkix, names, stats)}, null);
    c.getClientSessionContext().setSessionTimeout(MeshTls.SESSION_TIMEOUT_SECONDS);
    List<Long> stamps = new ArrayList<>();
    for (Path f : files) {
      stamps.add(Files.getLastModifiedTime(f).toMillis());
    }
    return new Material(c, List.copyOf(files), List.copyOf(stamps));
  }

  private static PrivateKey privateKey(Path file, X509Certificate leaf) throws IOException, GeneralSecurityException {
    for (PemBlocks.Block b : PemBlocks.parse(Files.readString(file, StandardCharsets.ISO_8859_1))) {
      if (b.type().equals("PRIVATE KEY")) {
        String algorithm = leaf.getPublicKey().getAlgorithm();
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(b.der()));
      }
    }
    throw new IOException(file + " holds no unencrypted PKCS#8 PRIVATE KEY");
  }

  /** One load of the files: the context made from them and their modification times. */
  private record Material(SSLContext context, List<Path> files, List<Long> stamps) {
    boolean stale() {
      try {
        for (int i = 0; i < files.size(); i++) {
          if (Files.getLastModifiedTime(files.get(i)).toMillis() != stamps.get(i)) {
            return true;
          }
        }
        return false;
      } catch (IOException e) {
        return true; // reloading says what is wrong
      }
    }
  }

  static boolean isIpLiteral(String host) {
    return host.indexOf(':') >= 0 || host.matches("[0-9.]+");
  }

  /** The server's chain (to the configured roots) and its names; no host-name check of the JDK's own. */
  static final class Verifier extends X509ExtendedTrustManager {
    private final X509TrustManager pkix;
    private final List<String> names;
    private final TlsStats stats;

    Verifier(X509TrustManager pkix, List<String> names, TlsStats stats) {
      this.pkix = pkix;
      this.names = names;
      this.stats = stats;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      if (chain == null || chain.length == 0) {
        throw new CertificateException("inmesh: the server presented no certificate");
      }
      if (pkix == null) {
        return; // insecureSkipVerify
      }
      pkix.checkServerTrusted(chain, authType);
      if (!names.isEmpty() && !matchesAny(chain[0], names)) {
        throw new CertificateException("inmesh: the server's certificate names none of " + names + " (DestinationRule tls)");
      }
    }

    private void counted(X509Certificate[] chain, String authType, javax.net.ssl.SSLSession handshake) throws CertificateException {
      try {
        checkServerTrusted(chain, authType);
      } catch (CertificateException | RuntimeException e) {
        stats.rejected(false);
        throw e;
      }
      String subject = chain[0].getSubjectX500Principal().getName();
      stats.fullHandshake(false, handshake == null ? null : handshake.getProtocol(), "tls:" + subject, chain[0]);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      counted(chain, authType, socket instanceof SSLSocket s ? s.getHandshakeSession() : null);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      counted(chain, authType, engine == null ? null : engine.getHandshakeSession());
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("inmesh: a client-side context verifies no clients");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return pkix == null ? new X509Certificate[0] : pkix.getAcceptedIssuers();
    }
  }

  /**
   * Presents the configured certificate whatever issuers the server names, as Envoy does (the JDK's
   * own key managers would present nothing to a server that lists other CAs).
   */
  static final class ClientKey extends javax.net.ssl.X509ExtendedKeyManager {
    private final PrivateKey key;
    private final X509Certificate[] chain;

    ClientKey(PrivateKey key, X509Certificate[] chain) {
      this.key = key;
      this.chain = chain;
    }

    @Override
    public String[] getClientAliases(String keyType, java.security.Principal[] issuers) {
      return new String[] {"client"};
    }

    @Override
    public String chooseClientAlias(String[] keyType, java.security.Principal[] issuers, Socket socket) {
      return fits(keyType);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, java.security.Principal[] issuers, SSLEngine engine) {
      return fits(keyType);
    }

    /** The JSSE asks per key type the server accepts; ours is offered for its own. */
    private String fits(String[] keyTypes) {
      if (keyTypes == null) {
        return "client";
      }
      for (String t : keyTypes) {
        if (key.getAlgorithm().equals(t)) {
          return "client";
        }
      }
      return null;
    }

    @Override
    public String[] getServerAliases(String keyType, java.security.Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseServerAlias(String keyType, java.security.Principal[] issuers, Socket socket) {
      return null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return "client".equals(alias) ? chain.clone() : null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return "client".equals(alias) ? key : null;
    }
  }

  /** True when {@code leaf} carries one of {@code names} as a DNS (wildcards in the leftmost label), URI or IP SAN. */
  static boolean matchesAny(X509Certificate leaf, List<String> names) throws CertificateException {
    java.util.Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
    if (sans == null) {
      return false;
    }
    for (String want : names) {
      String w = want.toLowerCase(Locale.ROOT);
      for (List<?> san : sans) {
        int type = (Integer) san.get(0);
        String value = String.valueOf(san.get(1)).toLowerCase(Locale.ROOT);
        switch (type) {
          case 2 -> { // DNS
            if (value.equals(w) || (value.startsWith("*.") && w.indexOf('.') > 0 && w.substring(w.indexOf('.')).equals(value.substring(1)))) {
              return true;
            }
          }
          case 6 -> { // URI
            if (value.equals(w)) {
              return true;
            }
          }
          case 7 -> { // IP
            if (isIpLiteral(w) && sameAddress(value, w)) {
              return true;
            }
          }
          default -> {
            // other kinds never match
          }
        }
      }
    }
    return false;
  }

  private static boolean sameAddress(String a, String b) {
    try {
      return InetAddress.getByName(a).equals(InetAddress.getByName(b)); // literals: no lookup
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Sockets with the SNI and protocols of the rule (HttpURLConnection and Apache layer them over their
   * plain socket, OkHttp keeps the factory as its pool key): each from the context of the moment, so
   * a replaced file reaches the next connection. Files that cannot be used fail the socket as a
   * handshake failure (a connect failure, 503 UF): never plain text.
   */
  private final class Sockets extends SSLSocketFactory {
    private SSLSocketFactory delegate() throws SSLHandshakeException {
      try {
        return context().getSocketFactory();
      } catch (RuntimeException e) {
        SSLHandshakeException refused = new SSLHandshakeException(e.getMessage());
        refused.initCause(e);
        throw refused;
      }
    }

    private Socket configured(Socket s) {
      if (s instanceof SSLSocket ssl) {
        configure(ssl.getSSLParameters(), ssl::setSSLParameters);
        stats.outboundConnections.increment();
      }
      return s;
    }

    @Override
    public String[] getDefaultCipherSuites() {
      try {
        return delegate().getDefaultCipherSuites();
      } catch (SSLHandshakeException e) {
        return new String[0];
      }
    }

    @Override
    public String[] getSupportedCipherSuites() {
      try {
        return delegate().getSupportedCipherSuites();
      } catch (SSLHandshakeException e) {
        return new String[0];
      }
    }

    @Override
    public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
      return configured(delegate().createSocket(s, host, port, autoClose));
    }

    @Override
    public Socket createSocket() throws IOException {
      return configured(delegate().createSocket());
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      return configured(delegate().createSocket(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
      return configured(delegate().createSocket(host, port, localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      return configured(delegate().createSocket(host, port));
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
      return configured(delegate().createSocket(address, port, localAddress, localPort));
    }
  }
}
