package io.inmesh.control.ca;

import io.inmesh.policy.identity.SpiffeId;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One state of the mesh CA: the key and certificate that sign, the certificates sent between a leaf
 * and the roots (an intermediate's issuers, or the new root cross-signed by the old one during a
 * rotation), and the roots agents trust. Immutable: a rotation loads a new one.
 */
public final class CertificateAuthority {

  /** What the CA hands back: the leaf first, then the certificates that chain it to a root. */
  public record Issued(List<X509Certificate> chain, SpiffeId identity) {
    public X509Certificate leaf() {
      return chain.get(0);
    }

    public Instant expires() {
      return leaf().getNotAfter().toInstant();
    }
  }

  private final String trustDomain;
  private final X509Certificate signer;
  private final PrivateKey signerKey;
  private final List<X509Certificate> intermediates;
  private final List<X509Certificate> roots;
  private final Duration certTtl;
  private final Clock clock;
  private final String source;

  public CertificateAuthority(
      String trustDomain,
      X509Certificate signer,
      PrivateKey signerKey,
      List<X509Certificate> intermediates,
      List<X509Certificate> roots,
      Duration certTtl,
      Clock clock,
      String source) {
    this.trustDomain = trustDomain;
    this.signer = signer;
    this.signerKey = signerKey;
    this.intermediates = List.copyOf(intermediates);
    this.roots = List.copyOf(roots);
    this.certTtl = certTtl;
    this.clock = clock;
    this.source = source;
  }

  public String trustDomain() {
    return trustDomain;
  }

  public List<X509Certificate> roots() {
    return roots;
  }

  public Duration certTtl() {
    return certTtl;
  }

  /** Where the signing key came from, for the start line. */
  public String source() {
    return source;
  }

  public X509Certificate signer() {
    return signer;
  }

  /** Signs {@code csrPem} for {@code proven}, and only for it. */
  public Issued sign(String csrPem, SpiffeId proven) throws CsrCheck.Refused {
    if (!proven.trustDomain().equals(trustDomain)) {
      throw new CsrCheck.Refused("identity " + proven + " is outside trust domain " + trustDomain);
    }
    PublicKey key = CsrCheck.check(csrPem, proven);
    return new Issued(chainFor(Certificates.leaf(key, List.of(proven.uri()), List.of(), List.of(), signer, signerKey, notBefore(), notAfter(certTtl))), proven);
  }

  /** The control plane's own TLS certificate for {@code dnsNames} and {@code ips}. */
  public List<X509Certificate> servingCertificate(PublicKey key, List<String> dnsNames, List<String> ips, Duration ttl) {
    return chainFor(Certificates.leaf(key, List.of(), dnsNames, ips, signer, signerKey, notBefore(), notAfter(ttl)));
  }

  private List<X509Certificate> chainFor(X509Certificate leaf) {
    List<X509Certificate> chain = new ArrayList<>();
    chain.add(leaf);
    chain.addAll(intermediates);
    return List.copyOf(chain);
  }

  private Instant notBefore() {
    return clock.instant().minusSeconds(Certificates.BACKDATE_SECONDS);
  }

  /** Never past the signer's own expiry: a leaf that outlives its issuer would not verify anyway. */
  private Instant notAfter(Duration ttl) {
    Instant want = clock.instant().plus(ttl);
    Instant cap = signer.getNotAfter().toInstant();
    return want.isAfter(cap) ? cap : want;
  }
}
