package io.inmesh.policy.identity;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * This workload's key (in memory) and the certificate chain the mesh CA issued for it, leaf first.
 *
 * @param source where it came from: {@code control-plane} or {@code cache}
 */
public record WorkloadCertificate(SpiffeId id, PrivateKey key, List<X509Certificate> chain, String source) {

  public WorkloadCertificate {
    chain = List.copyOf(chain);
  }

  public X509Certificate leaf() {
    return chain.get(0);
  }

  public Instant expires() {
    return leaf().getNotAfter().toInstant();
  }

  public boolean validAt(Instant t) {
    return !t.isBefore(leaf().getNotBefore().toInstant()) && t.isBefore(expires());
  }

  /** The SPIFFE URI SAN of a certificate, or null. */
  public static String uriSan(X509Certificate cert) {
    try {
      if (cert.getSubjectAlternativeNames() == null) {
        return null;
      }
      for (List<?> n : cert.getSubjectAlternativeNames()) {
        if (((Integer) n.get(0)) == 6) {
          return (String) n.get(1);
        }
      }
    } catch (java.security.cert.CertificateParsingException e) {
      return null;
    }
    return null;
  }
}
