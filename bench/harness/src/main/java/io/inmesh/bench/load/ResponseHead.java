package io.inmesh.bench.load;

import java.io.IOException;

/** Parsing of the few HTTP/1.1 response pieces the load generator needs. */
final class ResponseHead {
  private ResponseHead() {}

  /** The status code of a status line such as {@code HTTP/1.1 200 OK}. */
  static int parseStatus(byte[] line, int len) throws IOException {
    // "HTTP/1.x NNN"
    if (len < 12 || line[0] != 'H' || line[8] != ' ') {
      throw new IOException("not an HTTP/1.x status line: " + new String(line, 0, Math.min(len, 80), java.nio.charset.StandardCharsets.ISO_8859_1));
    }
    int code = 0;
    for (int i = 9; i < 12; i++) {
      int d = line[i] - '0';
      if (d < 0 || d > 9) {
        throw new IOException("bad status code in " + new String(line, 0, len, java.nio.charset.StandardCharsets.ISO_8859_1));
      }
      code = code * 10 + d;
    }
    return code;
  }

  /** The size of a chunk from its size line (hex, optionally followed by {@code ;extensions}). */
  static long parseChunkSize(byte[] line, int len) throws IOException {
    long size = 0;
    int digits = 0;
    for (int i = 0; i < len; i++) {
      int c = line[i];
      int d = Character.digit(c, 16);
      if (d < 0) {
        if (c == ';' || c == ' ' || c == '\t') {
          break;
        }
        throw new IOException("bad chunk size line");
      }
      size = size * 16 + d;
      digits++;
    }
    if (digits == 0) {
      throw new IOException("empty chunk size line");
    }
    return size;
  }
}
