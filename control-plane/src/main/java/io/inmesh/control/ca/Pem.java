package io.inmesh.control.ca;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/** PEM in and out: certificates (one or many) and unencrypted private keys (PKCS#8 or SEC1). */
public final class Pem {

  private Pem() {}

  public static String certificate(X509Certificate cert) {
    try {
      return block("CERTIFICATE", cert.getEncoded());
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String certificates(List<X509Certificate> certs) {
    StringBuilder sb = new StringBuilder();
    for (X509Certificate c : certs) {
      sb.append(certificate(c));
    }
    return sb.toString();
  }

  public static String privateKey(PrivateKey key) {
    return block("PRIVATE KEY", key.getEncoded());
  }

  public static String block(String type, byte[] der) {
    String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + b64 + "\n-----END " + type + "-----\n";
  }

  /** Every certificate in {@code text}, in order; throws with the reason when there is none or one is broken. */
  public static List<X509Certificate> readCertificates(String text, String what) throws IOException {
    try {
      Collection<? extends java.security.cert.Certificate> all =
          CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)));
      List<X509Certificate> out = new ArrayList<>();
      for (java.security.cert.Certificate c : all) {
        out.add((X509Certificate) c);
      }
      if (out.isEmpty()) {
        throw new IOException(what + " holds no PEM certificate");
      }
      return out;
    } catch (CertificateException e) {
      throw new IOException(what + " is not a PEM certificate file: " + e.getMessage(), e);
    }
  }

  public static PrivateKey readPrivateKey(String text, String what) throws IOException {
    try (PEMParser parser = new PEMParser(new StringReader(text))) {
      Object o = parser.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (o instanceof PEMKeyPair pair) {
        return converter.getKeyPair(pair).getPrivate();
      }
      if (o instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
      throw new IOException(
          what + " holds no unencrypted private key (expected -----BEGIN PRIVATE KEY----- or -----BEGIN EC PRIVATE KEY-----)");
    }
  }
}
