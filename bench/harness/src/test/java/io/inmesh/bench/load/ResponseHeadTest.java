package io.inmesh.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ResponseHeadTest {
  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  @Test
  void statusLine() throws IOException {
    assertThat(ResponseHead.parseStatus(b("HTTP/1.1 200 OK"), 15)).isEqualTo(200);
    assertThat(ResponseHead.parseStatus(b("HTTP/1.0 503 Service Unavailable"), 32)).isEqualTo(503);
    assertThatThrownBy(() -> ResponseHead.parseStatus(b("garbage in here"), 15)).isInstanceOf(IOException.class);
  }

  @Test
  void chunkSizesAreHex_extensionsIgnored() throws IOException {
    assertThat(ResponseHead.parseChunkSize(b("1a"), 2)).isEqualTo(26);
    assertThat(ResponseHead.parseChunkSize(b("FF;name=value"), 13)).isEqualTo(255);
    assertThat(ResponseHead.parseChunkSize(b("0"), 1)).isZero();
    assertThatThrownBy(() -> ResponseHead.parseChunkSize(b(""), 0)).isInstanceOf(IOException.class);
  }
}
