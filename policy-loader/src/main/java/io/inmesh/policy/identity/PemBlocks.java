package io.inmesh.policy.identity;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** PEM blocks in and out, with the JDK only (the agent carries no PEM library). */
public final class PemBlocks {

  private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");

  /** One block: its label and DER content. */
  public record Block(String type, byte[] der) {}

  private PemBlocks() {}

  public static List<Block> parse(String text) {
    List<Block> out = new ArrayList<>();
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      out.add(new Block(m.group(1), Base64.getMimeDecoder().decode(m.group(2).trim())));
    }
    return out;
  }

  public static String write(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  public static X509Certificate certificate(byte[] der) throws GeneralSecurityException {
    return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
  }

  /** Every {@code CERTIFICATE} block of {@code text}. */
  public static List<X509Certificate> certificates(String text) throws GeneralSecurityException {
    List<X509Certificate> out = new ArrayList<>();
    for (Block b : parse(text)) {
      if (b.type().equals("CERTIFICATE")) {
        out.add(certificate(b.der()));
      }
    }
    return out;
  }

  public static String certificate(X509Certificate c) {
    try {
      return write("CERTIFICATE", c.getEncoded());
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
  }

  public static PrivateKey ecPrivateKey(byte[] pkcs8) throws GeneralSecurityException {
    return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
  }
}
