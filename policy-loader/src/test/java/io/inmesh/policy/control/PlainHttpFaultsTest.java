package io.inmesh.policy.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The agent's own HTTP client against servers that misbehave, on real loopback sockets: every
 * misbehaviour ends in an IOException (never a hang, never a RuntimeException from parsing).
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class PlainHttpFaultsTest {

  /** Serves one connection with {@code answer}, on 127.0.0.1 and an ephemeral port. */
  static URI serveOnce(Consumer<Socket> answer) throws IOException {
    ServerSocket server = new ServerSocket();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    Thread t =
        new Thread(
            () -> {
              try (server; Socket s = server.accept()) {
                s.getInputStream().readNBytes(0);
                answer.accept(s);
              } catch (IOException e) {
                // the client gave up: expected for the hanging cases
              }
            },
            "fault-server");
    t.setDaemon(true);
    t.start();
    return URI.create("http://127.0.0.1:" + server.getLocalPort() + "/v1/snapshot");
  }

  static void write(Socket s, String text) {
    try {
      OutputStream out = s.getOutputStream();
      out.write(text.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    } catch (IOException e) {
      // client closed
    }
  }

  @Test
  void aServerDrippingOneByteBeforeEachReadTimeoutIsCutOffByTheExchangeDeadline() throws Exception {
    URI uri =
        serveOnce(
            s -> {
              // each byte arrives well inside a per-read timeout of 1 s; the whole answer never does
              for (int i = 0; i < 200; i++) {
                write(s, "X");
                try {
                  Thread.sleep(300);
                } catch (InterruptedException e) {
                  return;
                }
              }
            });
    assertThatThrownBy(() -> PlainHttp.get(uri, 1_000, 1_000))
        .isInstanceOf(SocketTimeoutException.class)
        .hasMessageContaining("no complete answer within 1000 ms");
  }

  @Test
  void aServerThatAcceptsAndNeverAnswersTimesOut() throws Exception {
    URI uri =
        serveOnce(
            s -> {
              try {
                Thread.sleep(5_000);
              } catch (InterruptedException e) {
                // end
              }
            });
    assertThatThrownBy(() -> PlainHttp.get(uri, 1_000, 500)).isInstanceOf(SocketTimeoutException.class);
  }

  @Test
  void aTruncatedBodyIsAnError() throws Exception {
    URI uri = serveOnce(s -> write(s, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"version\":"));
    assertThatThrownBy(() -> PlainHttp.get(uri, 1_000, 2_000)).isInstanceOf(IOException.class).hasMessageContaining("closed after");
  }

  @Test
  void garbageInsteadOfAnHttpAnswerIsAnError() throws Exception {
    URI uri = serveOnce(s -> write(s, "\u0001\u00ff garbage \r\n\r\n"));
    assertThatThrownBy(() -> PlainHttp.get(uri, 1_000, 2_000)).isInstanceOf(IOException.class).hasMessageContaining("not an HTTP response");
  }

  @Test
  void aBadContentLengthOrChunkSizeIsAnIoErrorNotACrash() throws Exception {
    URI cl = serveOnce(s -> write(s, "HTTP/1.1 200 OK\r\nContent-Length: lots\r\n\r\n{}"));
    assertThatThrownBy(() -> PlainHttp.get(cl, 1_000, 2_000)).isInstanceOf(IOException.class).hasMessageContaining("bad Content-Length");
    URI chunk = serveOnce(s -> write(s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"));
    assertThatThrownBy(() -> PlainHttp.get(chunk, 1_000, 2_000)).isInstanceOf(IOException.class).hasMessageContaining("bad chunk size");
    URI status = serveOnce(s -> write(s, "HTTP/1.1 2 OK\r\n\r\n"));
    assertThatThrownBy(() -> PlainHttp.get(status, 1_000, 2_000)).isInstanceOf(IOException.class).hasMessageContaining("bad status line");
  }

  @Test
  void aWellFormedAnswerStillWorks() throws Exception {
    URI uri = serveOnce(s -> write(s, "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nContent-Length: 4\r\n\r\nbusy"));
    PlainHttp.Response r = PlainHttp.get(uri, 1_000, 2_000);
    assertThat(r.status()).isEqualTo(503);
    assertThat(r.header("Retry-After")).isEqualTo("7");
    assertThat(r.bodyText()).isEqualTo("busy");
  }
}
