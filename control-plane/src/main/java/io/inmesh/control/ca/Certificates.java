package io.inmesh.control.ca;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Builds the certificates the mesh CA issues. The JDK's own providers do the cryptography (no
 * BouncyCastle provider is registered), BouncyCastle only encodes.
 */
public final class Certificates {

  private static final SecureRandom RANDOM = new SecureRandom();
  /** Back-dating absorbs clock skew between the control plane and the hosts that verify. */
  static final long BACKDATE_SECONDS = 60;

  private Certificates() {}

  public static KeyPair newP256() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM cannot make EC P-256 keys: " + e, e);
    }
  }

  /** A self-signed root for the trust domain; its subject names the time, so every rotation's root is distinct. */
  public static X509Certificate root(KeyPair keys, String trustDomain, Instant now, long validitySeconds) {
    X500Name name = new X500Name("O=" + trustDomain + ",CN=inmesh root " + now.getEpochSecond());
    return caCertificate(name, keys.getPublic(), name, keys.getPrivate(), keys.getPublic(), now, now.plusSeconds(validitySeconds));
  }

  /**
   * The new root's subject and key, signed by the old root: a verifier that trusts only the old root
   * still accepts a chain that ends in this certificate, so agents keep working while the new root
   * reaches them over the control channel.
   */
  public static X509Certificate crossSigned(X509Certificate newRoot, X509Certificate oldRoot, PrivateKey oldKey, Instant now) {
    Instant until = oldRoot.getNotAfter().toInstant();
    if (newRoot.getNotAfter().toInstant().isBefore(until)) {
      until = newRoot.getNotAfter().toInstant();
    }
    return caCertificate(
        X500Name.getInstance(newRoot.getSubjectX500Principal().getEncoded()),
        newRoot.getPublicKey(),
        X500Name.getInstance(oldRoot.getSubjectX500Principal().getEncoded()),
        oldKey,
        oldRoot.getPublicKey(),
        now,
        until);
  }

  private static X509Certificate caCertificate(
      X500Name subject, PublicKey subjectKey, X500Name issuer, PrivateKey issuerKey, PublicKey issuerPublic, Instant now, Instant until) {
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(issuer, serial(), Date.from(now.minusSeconds(BACKDATE_SECONDS)), Date.from(until), subject, subjectKey);
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKey));
      b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(issuerPublic));
      return sign(b, issuerKey);
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot build a CA certificate: " + e, e);
    }
  }

  /**
   * A leaf: an empty subject and a critical SAN, as Istio issues workload certificates, usable for
   * both ends of a TLS connection.
   *
   * @param uris SPIFFE URIs (workloads)
   * @param dnsNames DNS names (the control plane's serving certificate)
   * @param ipAddresses IP literals (the control plane's serving certificate)
   */
  public static X509Certificate leaf(
      PublicKey subjectKey,
      List<String> uris,
      List<String> dnsNames,
      List<String> ipAddresses,
      X509Certificate issuer,
      PrivateKey issuerKey,
      Instant notBefore,
      Instant notAfter) {
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded()),
              serial(),
              Date.from(notBefore),
              Date.from(notAfter),
              new X500Name(new org.bouncycastle.asn1.x500.RDN[0]),
              subjectKey);
      GeneralName[] names = new GeneralName[uris.size() + dnsNames.size() + ipAddresses.size()];
      int i = 0;
      for (String u : uris) {
        names[i++] = new GeneralName(GeneralName.uniformResourceIdentifier, u);
      }
      for (String d : dnsNames) {
        names[i++] = new GeneralName(GeneralName.dNSName, d);
      }
      for (String ip : ipAddresses) {
        names[i++] = new GeneralName(GeneralName.iPAddress, ip);
      }
      b.addExtension(Extension.subjectAlternativeName, true, new GeneralNames(names));
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      b.addExtension(
          Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKey));
      b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(issuer));
      return sign(b, issuerKey);
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot issue a certificate: " + e, e);
    }
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key) throws GeneralSecurityException {
    String alg = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
    try {
      return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder(alg).build(key)));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private static BigInteger serial() {
    return new BigInteger(127, RANDOM).add(BigInteger.ONE);
  }

  /** The first URI SAN of a certificate, or null. */
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
      return null;
    } catch (java.security.cert.CertificateParsingException e) {
      return null;
    }
  }
}
