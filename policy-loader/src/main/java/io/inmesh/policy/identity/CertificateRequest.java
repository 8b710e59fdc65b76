package io.inmesh.policy.identity;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A PKCS#10 certificate signing request (RFC 2986) with an empty subject and a SAN extension
 * request, signed with ECDSA P-256 / SHA-256: what the agent sends the mesh CA. The key pair is
 * made here, in memory; only the public half leaves the JVM.
 */
public final class CertificateRequest {

  private static final String EC_PUBLIC_KEY_SHA256 = "1.2.840.10045.4.3.2"; // ecdsa-with-SHA256
  private static final String EXTENSION_REQUEST = "1.2.840.113549.1.9.14";
  private static final String SUBJECT_ALT_NAME = "2.5.29.17";
  private static final SecureRandom RANDOM = new SecureRandom();

  private CertificateRequest() {}

  public static KeyPair newKeyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM cannot make EC P-256 keys: " + e, e);
    }
  }

  /** The CSR for one SPIFFE ID, PEM-encoded. */
  public static String pem(KeyPair keys, SpiffeId id) {
    return pem(keys, List.of(id.uri()), List.of());
  }

  /** A CSR naming these URI and DNS SANs (the CA accepts exactly one URI; tests send others). */
  public static String pem(KeyPair keys, List<String> uris, List<String> dnsNames) {
    List<byte[]> names = new ArrayList<>();
    for (String u : uris) {
      names.add(Der.contextIa5(6, u));
    }
    for (String d : dnsNames) {
      names.add(Der.contextIa5(2, d));
    }
    byte[] san = Der.sequence(Der.oid(SUBJECT_ALT_NAME), Der.bool(true), Der.octetString(Der.sequence(names.toArray(new byte[0][]))));
    byte[] attributes = Der.contextConstructed(0, Der.sequence(Der.oid(EXTENSION_REQUEST), Der.set(Der.sequence(san))));
    byte[] info = Der.sequence(Der.integer(0), Der.sequence(), keys.getPublic().getEncoded(), attributes);
    byte[] signature = sign(keys.getPrivate(), info);
    byte[] csr = Der.sequence(info, Der.sequence(Der.oid(EC_PUBLIC_KEY_SHA256)), Der.bitString(signature));
    return "-----BEGIN CERTIFICATE REQUEST-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(csr)
        + "\n-----END CERTIFICATE REQUEST-----\n";
  }

  /** SHA256withECDSA over {@code data}; the JDK already returns the DER ECDSA-Sig-Value. */
  public static byte[] sign(PrivateKey key, byte[] data) {
    try {
      Signature s = Signature.getInstance("SHA256withECDSA");
      s.initSign(key, RANDOM);
      s.update(data);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign with the workload key: " + e, e);
    }
  }
}
