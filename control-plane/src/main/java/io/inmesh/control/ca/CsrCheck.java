package io.inmesh.control.ca;

import io.inmesh.policy.identity.SpiffeId;
import java.io.IOException;
import java.io.StringReader;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

/**
 * Judges a PKCS#10 certificate signing request against the identity its sender proved: the request
 * must be signed by the key it carries, and name exactly one SAN, the URI of that identity. Anything
 * else in it (subject, other extensions) is ignored, because the CA never copies it.
 */
public final class CsrCheck {

  /** A request the CA refuses, with the reason the caller is told. */
  public static final class Refused extends Exception {
    public Refused(String message) {
      super(message, null, false, false);
    }
  }

  private CsrCheck() {}

  /** The CSR's public key, when the CSR may be signed for {@code proven}. */
  public static PublicKey check(String csrPem, SpiffeId proven) throws Refused {
    JcaPKCS10CertificationRequest csr = parse(csrPem);
    PublicKey key;
    try {
      key = publicKey(csr);
      if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key))) {
        throw new Refused("the CSR's signature does not verify with its own key");
      }
    } catch (Refused r) {
      throw r;
    } catch (Exception e) {
      throw new Refused("the CSR's key or signature is unusable: " + e.getMessage());
    }
    if (key instanceof ECPublicKey ec) {
      if (ec.getParams().getCurve().getField().getFieldSize() < 256) {
        throw new Refused("EC keys must be P-256 or larger");
      }
    } else if (key instanceof RSAPublicKey rsa) {
      if (rsa.getModulus().bitLength() < 2048) {
        throw new Refused("RSA keys must be 2048 bits or more");
      }
    } else {
      throw new Refused("unsupported key algorithm " + key.getAlgorithm() + " (use EC P-256)");
    }
    Extensions requested = csr.getRequestedExtensions();
    GeneralNames sans = requested == null ? null : GeneralNames.fromExtensions(requested, Extension.subjectAlternativeName);
    if (sans == null || sans.getNames().length == 0) {
      throw new Refused("the CSR names no SAN; its only SAN must be the URI " + proven.uri());
    }
    GeneralName[] names = sans.getNames();
    if (names.length > 1) {
      throw new Refused("the CSR names " + names.length + " SANs; its only SAN must be the URI " + proven.uri());
    }
    GeneralName only = names[0];
    if (only.getTagNo() != GeneralName.uniformResourceIdentifier) {
      throw new Refused("the CSR's SAN is not a URI; it must be " + proven.uri());
    }
    String uri = only.getName().toString();
    if (!uri.equals(proven.uri())) {
      throw new Refused("the CSR asks for " + uri + " but the credential proves " + proven.uri());
    }
    return key;
  }

  /** By the key's algorithm name: the JDK's key factories do not answer to the algorithm's OID. */
  private static PublicKey publicKey(JcaPKCS10CertificationRequest csr) throws Refused, java.io.IOException, java.security.GeneralSecurityException {
    org.bouncycastle.asn1.x509.SubjectPublicKeyInfo spki = csr.getSubjectPublicKeyInfo();
    org.bouncycastle.asn1.ASN1ObjectIdentifier alg = spki.getAlgorithm().getAlgorithm();
    String name;
    if (alg.equals(org.bouncycastle.asn1.x9.X9ObjectIdentifiers.id_ecPublicKey)) {
      name = "EC";
    } else if (alg.equals(PKCSObjectIdentifiers.rsaEncryption)) {
      name = "RSA";
    } else {
      throw new Refused("unsupported key algorithm " + alg + " (use EC P-256)");
    }
    return java.security.KeyFactory.getInstance(name).generatePublic(new java.security.spec.X509EncodedKeySpec(spki.getEncoded()));
  }

  private static JcaPKCS10CertificationRequest parse(String text) throws Refused {
    if (text == null || text.isBlank()) {
      throw new Refused("no CSR (send {\"csr\": \"-----BEGIN CERTIFICATE REQUEST-----...\"})");
    }
    try (PEMParser p = new PEMParser(new StringReader(text))) {
      Object o = p.readObject();
      if (o instanceof PKCS10CertificationRequest req) {
        return new JcaPKCS10CertificationRequest(req);
      }
    } catch (IOException | RuntimeException e) {
      // fall through: maybe bare base64 DER
    }
    try {
      return new JcaPKCS10CertificationRequest(Base64.getMimeDecoder().decode(text));
    } catch (IOException | RuntimeException e) {
      throw new Refused("the CSR is not a PEM or base64 PKCS#10 request");
    }
  }

  static boolean isExtensionRequest(org.bouncycastle.asn1.ASN1ObjectIdentifier oid) {
    return PKCSObjectIdentifiers.pkcs_9_at_extensionRequest.equals(oid);
  }
}
