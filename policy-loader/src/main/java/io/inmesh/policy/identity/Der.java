package io.inmesh.policy.identity;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The few DER encodings a PKCS#10 request needs. The agent writes its CSR with these and the JDK's
 * own key and signature classes, so its jar carries no ASN.1 library (BouncyCastle stays in the
 * control plane, which parses and checks what arrives).
 */
final class Der {

  private Der() {}

  static byte[] sequence(byte[]... parts) {
    return tagged(0x30, concat(parts));
  }

  static byte[] set(byte[]... parts) {
    return tagged(0x31, concat(parts));
  }

  static byte[] integer(int value) {
    if (value < 0 || value > 127) {
      throw new IllegalArgumentException("only small non-negative integers are needed");
    }
    return new byte[] {0x02, 0x01, (byte) value};
  }

  static byte[] bool(boolean value) {
    return new byte[] {0x01, 0x01, (byte) (value ? 0xff : 0x00)};
  }

  static byte[] octetString(byte[] content) {
    return tagged(0x04, content);
  }

  /** A BIT STRING with no unused bits (signatures). */
  static byte[] bitString(byte[] content) {
    byte[] withPad = new byte[content.length + 1];
    System.arraycopy(content, 0, withPad, 1, content.length);
    return tagged(0x03, withPad);
  }

  /** {@code [tagNumber] IMPLICIT IA5String} of a GeneralName: 2 = dNSName, 6 = URI. */
  static byte[] contextIa5(int tagNumber, String text) {
    return tagged(0x80 | tagNumber, text.getBytes(StandardCharsets.US_ASCII));
  }

  /** {@code [tagNumber] IMPLICIT} constructed (CertificationRequestInfo's attributes). */
  static byte[] contextConstructed(int tagNumber, byte[]... parts) {
    return tagged(0xa0 | tagNumber, concat(parts));
  }

  static byte[] oid(String dotted) {
    String[] arcs = dotted.split("\\.");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    base128(out, Long.parseLong(arcs[0]) * 40 + Long.parseLong(arcs[1]));
    for (int i = 2; i < arcs.length; i++) {
      base128(out, Long.parseLong(arcs[i]));
    }
    return tagged(0x06, out.toByteArray());
  }

  private static void base128(ByteArrayOutputStream out, long v) {
    int groups = 1;
    for (long t = v >>> 7; t != 0; t >>>= 7) {
      groups++;
    }
    for (int g = groups - 1; g >= 0; g--) {
      int b = (int) ((v >>> (7 * g)) & 0x7f);
      out.write(g == 0 ? b : b | 0x80);
    }
  }

  static byte[] tagged(int tag, byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
    out.write(tag);
    int len = content.length;
    if (len < 0x80) {
      out.write(len);
    } else if (len < 0x100) {
      out.write(0x81);
      out.write(len);
    } else if (len < 0x10000) {
      out.write(0x82);
      out.write(len >>> 8);
      out.write(len & 0xff);
    } else {
      out.write(0x83);
      out.write(len >>> 16);
      out.write((len >>> 8) & 0xff);
      out.write(len & 0xff);
    }
    out.writeBytes(content);
    return out.toByteArray();
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
