package io.inmesh.control.ca;

import io.inmesh.policy.identity.SpiffeId;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Renewal without the join token: the agent sends its current certificate chain and a signature,
 * made with the current certificate's key, over the new CSR's exact text. The chain must verify
 * against the roots the CA trusts now and be unexpired; the identity proved is the leaf's SPIFFE URI.
 * A replay gains nothing: the certificate it yields is for the new CSR's key, which only the agent
 * holds.
 */
public final class CertificateProof {

  private CertificateProof() {}

  /** The leaf's verified identity; throws with the reason otherwise. */
  public static SpiffeId identityOf(List<X509Certificate> chain, List<X509Certificate> roots, Instant now) throws CsrCheck.Refused {
    if (chain.isEmpty()) {
      throw new CsrCheck.Refused("no certificate to renew");
    }
    try {
      Set<TrustAnchor> anchors = new HashSet<>();
      for (X509Certificate r : roots) {
        anchors.add(new TrustAnchor(r, null));
      }
      // the chain may end in a certificate that is itself a trust anchor: validators want it left off
      List<X509Certificate> path = chain;
      while (path.size() > 1 && roots.contains(path.get(path.size() - 1))) {
        path = path.subList(0, path.size() - 1);
      }
      PKIXParameters params = new PKIXParameters(anchors);
      params.setRevocationEnabled(false);
      params.setDate(Date.from(now));
      CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
    } catch (GeneralSecurityException e) {
      throw new CsrCheck.Refused("the certificate does not verify against the mesh roots: " + e.getMessage());
    }
    String uri = Certificates.uriSan(chain.get(0));
    if (uri == null) {
      throw new CsrCheck.Refused("the certificate names no SPIFFE ID");
    }
    try {
      return SpiffeId.parse(uri);
    } catch (IllegalArgumentException e) {
      throw new CsrCheck.Refused(e.getMessage());
    }
  }

  /** Checks {@code signatureB64} over {@code csrText} with the leaf's key. */
  public static void checkPossession(X509Certificate leaf, String csrText, String signatureB64) throws CsrCheck.Refused {
    try {
      String alg = leaf.getPublicKey().getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
      Signature s = Signature.getInstance(alg);
      s.initVerify(leaf.getPublicKey());
      s.update(csrText.getBytes(StandardCharsets.UTF_8));
      if (!s.verify(Base64.getDecoder().decode(signatureB64))) {
        throw new CsrCheck.Refused("the renewal signature does not verify with the current certificate's key");
      }
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new CsrCheck.Refused("the renewal signature is unusable: " + e.getMessage());
    }
  }
}
