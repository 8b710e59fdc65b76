package io.inmesh.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plain listener (the control plane's own NIO server) on raw sockets: keep-alive and pipelined
 * requests on one connection, {@code Expect: 100-continue}, and the requests it refuses.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PlainListenerTest {

  @TempDir static Path tmp;
  static RunningControlPlane cp;
  static InetSocketAddress address;

  @BeforeAll
  static void start() throws IOException {
    Path policies = Files.createDirectories(tmp.resolve("policies"));
    cp = RunningControlPlane.start(new ControlPlaneConfig(
        "127.0.9.3", 0, policies, tmp.resolve("data"), "default", Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ZERO));
    address = new InetSocketAddress("127.0.9.3", cp.plane.baseUri().getPort());
  }

  @AfterAll
  static void stop() {
    if (cp != null) {
      cp.close();
    }
  }

  private static Socket connect() throws IOException {
    Socket s = new Socket();
    s.connect(address, 2_000);
    s.setSoTimeout(10_000);
    return s;
  }

  private static void send(Socket s, String text) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  /** One answer: status line and headers, then Content-Length bytes of body (none for 1xx/304). */
  private static String answer(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    int b;
    while (matched < 4 && (b = in.read()) >= 0) {
      head.write(b);
      matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    String h = head.toString(StandardCharsets.ISO_8859_1);
    int length = 0;
    for (String line : h.split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    return h + new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }

  @Test
  void oneConnectionCarriesManyRequests_pipelinedToo() throws Exception {
    try (Socket s = connect()) {
      InputStream in = s.getInputStream();
      for (int i = 0; i < 3; i++) {
        send(s, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(answer(in)).startsWith("HTTP/1.1 200 ").endsWith("ok");
      }
      send(s, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/load HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(answer(in)).startsWith("HTTP/1.1 200 ").endsWith("ok");
      assertThat(answer(in)).startsWith("HTTP/1.1 200 ").contains("\"capacity\"");
      send(s, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assertThat(answer(in)).startsWith("HTTP/1.1 200 ").contains("Connection: close");
      assertThat(in.read()).isEqualTo(-1); // closed as asked
    }
  }

  @Test
  void expectContinueGetsA100ThenTheAnswer() throws Exception {
    try (Socket s = connect()) {
      String body = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: x}\nspec: {hosts: [x]}\n";
      send(s, "POST /v1/validate HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length() + "\r\nExpect: 100-continue\r\n\r\n");
      assertThat(answer(s.getInputStream())).startsWith("HTTP/1.1 100 ");
      send(s, body);
      assertThat(answer(s.getInputStream())).startsWith("HTTP/1.1 200 ").contains("\"valid\"");
    }
  }

  @Test
  void aChunkedBodyIsRefusedWith411_andAMalformedRequestWith400() throws Exception {
    try (Socket s = connect()) {
      send(s, "POST /v1/validate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
      assertThat(answer(s.getInputStream())).startsWith("HTTP/1.1 411 ").contains("Content-Length");
      assertThat(s.getInputStream().read()).isEqualTo(-1);
    }
    try (Socket s = connect()) {
      send(s, "NONSENSE\r\n\r\n");
      assertThat(answer(s.getInputStream())).startsWith("HTTP/1.1 400 ");
    }
    // and the listener still serves
    try (Socket s = connect()) {
      send(s, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(answer(s.getInputStream())).startsWith("HTTP/1.1 200 ");
    }
  }
}
