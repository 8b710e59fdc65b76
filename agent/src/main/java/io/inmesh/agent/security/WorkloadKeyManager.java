package io.inmesh.agent.security;

import io.inmesh.policy.identity.WorkloadCertificate;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Presents this workload's current certificate, read at each handshake: a renewal takes effect on
 * the next new connection without rebuilding any {@code SSLContext}, and connections already open
 * keep the certificate they were made with.
 *
 * <p>JSSE picks an alias first and asks for its chain and key afterwards; a renewal between those
 * calls must not pair the new chain with the old key, so each certificate gets its own alias and
 * the last few stay resolvable.
 */
final class WorkloadKeyManager extends X509ExtendedKeyManager {
  private static final int KEEP = 4;

  private final Supplier<WorkloadCertificate> current;
  private final TlsStats stats;
  private final Map<String, WorkloadCertificate> recent = new LinkedHashMap<>();
  private WorkloadCertificate last;
  private String lastAlias;
  private long aliases;

  WorkloadKeyManager(Supplier<WorkloadCertificate> current) {
    this(current, null);
  }

  WorkloadKeyManager(Supplier<WorkloadCertificate> current, TlsStats stats) {
    this.current = current;
    this.stats = stats;
  }

  /** The alias of the certificate in force, or null when this workload has none (no certificate is presented). */
  private synchronized String alias() {
    WorkloadCertificate c = current.get();
    if (c == null || !c.validAt(java.time.Instant.now())) {
      return null;
    }
    if (c != last) {
      last = c;
      lastAlias = "workload-" + (++aliases);
      recent.put(lastAlias, c);
      while (recent.size() > KEEP) {
        recent.remove(recent.keySet().iterator().next());
      }
    }
    return lastAlias;
  }

  private synchronized WorkloadCertificate get(String alias) {
    return alias == null ? null : recent.get(alias);
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    String a = alias();
    return a == null ? null : new String[] {a};
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return alias();
  }

  @Override
  public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
    return alias();
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    String a = alias();
    return a == null ? null : new String[] {a};
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return matches(keyType) ? alias() : null;
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return matches(keyType) ? alias() : null;
  }

  /** The server side asks per key type; the mesh CA issues EC keys. */
  private boolean matches(String keyType) {
    WorkloadCertificate c = current.get();
    return c != null && (keyType == null || keyType.startsWith(c.key().getAlgorithm()));
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    WorkloadCertificate c = get(alias);
    if (c != null && stats != null) {
      stats.presented(c.leaf()); // asked once per full handshake that presents it
    }
    return c == null ? null : c.chain().toArray(new X509Certificate[0]);
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    WorkloadCertificate c = get(alias);
    return c == null ? null : c.key();
  }
}
