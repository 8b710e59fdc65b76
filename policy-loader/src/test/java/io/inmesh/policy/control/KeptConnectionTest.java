package io.inmesh.policy.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The long-poll's kept connection, against real loopback servers: reused when the server keeps it
 * alive; sent again once, transparently, when the peer closed it while kept (a proxy that answers
 * one request per connection); never sent again when a held request is cut later (that failure is
 * the caller's, for its backoff).
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class KeptConnectionTest {

  enum Mode { KEEP_ALIVE, ONE_PER_CONNECTION, SECOND_REQUEST_HELD_THEN_CUT, SECOND_REQUEST_HELD }

  /** A server on 127.0.9.2 answering "ok" per request as {@code mode} says; counts connections. */
  static final class Server implements AutoCloseable {
    final ServerSocket socket = new ServerSocket();
    final AtomicInteger accepted = new AtomicInteger();
    final java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);

    Server(Mode mode) throws IOException {
      socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.9.2"), 0));
      Thread t = new Thread(() -> {
        for (int c = 0; c < 10; c++) {
          try (Socket s = socket.accept()) {
            accepted.incrementAndGet();
            s.setSoTimeout(10_000);
            for (int request = 1; request <= 10; request++) {
              if (!readHead(s.getInputStream())) {
                break;
              }
              if (mode == Mode.SECOND_REQUEST_HELD && request == 2) {
                held.countDown();
                s.setSoTimeout(0);
                readHead(s.getInputStream()); // a held long-poll: no answer until the client goes away
                break;
              }
              if (mode == Mode.SECOND_REQUEST_HELD_THEN_CUT && request == 2) {
                Thread.sleep(1_000);
                break; // closes without answering
              }
              s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1));
              s.getOutputStream().flush();
              if (mode == Mode.ONE_PER_CONNECTION) {
                break; // like a proxy that serves one request per connection, without saying so
              }
            }
          } catch (IOException | InterruptedException e) {
            return;
          }
        }
      }, "kept-connection-server");
      t.setDaemon(true);
      t.start();
    }

    URI uri() {
      return URI.create("http://127.0.9.2:" + socket.getLocalPort() + "/v1/view?agent=a");
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  static boolean readHead(InputStream in) throws IOException {
    int matched = 0;
    int b;
    while ((b = in.read()) >= 0) {
      matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
      if (matched == 4) {
        return true;
      }
    }
    return false;
  }

  @Test
  void aKeptAliveConnectionCarriesEveryPoll() throws Exception {
    try (Server server = new Server(Mode.KEEP_ALIVE); PlainHttp.KeptConnection c = new PlainHttp.KeptConnection()) {
      for (int i = 0; i < 3; i++) {
        PlainHttp.Response r = c.exchange("GET", server.uri(), null, 2_000, 5_000, ChannelCredentials.NONE);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.bodyText()).isEqualTo("ok");
      }
      assertThat(server.accepted.get()).isEqualTo(1);
    }
  }

  @Test
  void aConnectionThePeerClosedWhileKeptIsReplacedWithoutAFailure() throws Exception {
    try (Server server = new Server(Mode.ONE_PER_CONNECTION); PlainHttp.KeptConnection c = new PlainHttp.KeptConnection()) {
      for (int i = 0; i < 3; i++) {
        Thread.sleep(50); // the peer's close has arrived: the kept connection is stale
        assertThat(c.exchange("GET", server.uri(), null, 2_000, 5_000, ChannelCredentials.NONE).bodyText()).isEqualTo("ok");
      }
      assertThat(server.accepted.get()).isEqualTo(3);
    }
  }

  /**
   * The agent stopping (JVM shutdown) closes the kept connection while its poll is held there: the
   * close must end that poll now, not wait for it to be answered. With the lock the exchange holds,
   * close() waited for the whole hold (here 60 s, the bound below fails first), and every meshed
   * JVM's exit waited for its poll to be answered.
   */
  @Test
  void closingFromAnotherThreadEndsAHeldExchangeAtOnce_notSentAgain() throws Exception {
    try (Server server = new Server(Mode.SECOND_REQUEST_HELD); PlainHttp.KeptConnection c = new PlainHttp.KeptConnection()) {
      assertThat(c.exchange("GET", server.uri(), null, 2_000, 60_000, ChannelCredentials.NONE).status()).isEqualTo(200);
      java.util.concurrent.atomic.AtomicReference<Throwable> outcome = new java.util.concurrent.atomic.AtomicReference<>();
      Thread poller = new Thread(() -> {
        try {
          c.exchange("GET", server.uri(), null, 2_000, 60_000, ChannelCredentials.NONE);
          outcome.set(new AssertionError("answered"));
        } catch (Throwable t) {
          outcome.set(t);
        }
      }, "held-poll");
      poller.start();
      assertThat(server.held.await(10, TimeUnit.SECONDS)).as("the server holds the second request").isTrue();
      Thread closer = new Thread(c::close, "closer");
      closer.start();
      closer.join(10_000);
      assertThat(closer.isAlive()).as("close() returned while the exchange was held").isFalse();
      poller.join(10_000);
      assertThat(poller.isAlive()).as("the held exchange ended with the close").isFalse();
      assertThat(outcome.get()).isInstanceOf(IOException.class).isNotInstanceOf(java.net.SocketTimeoutException.class);
      assertThat(server.accepted.get()).as("not sent again on a fresh connection").isEqualTo(1);
    }
  }

  @Test
  void aHeldRequestCutLaterIsAFailure_notSentAgain() throws Exception {
    try (Server server = new Server(Mode.SECOND_REQUEST_HELD_THEN_CUT); PlainHttp.KeptConnection c = new PlainHttp.KeptConnection()) {
      assertThat(c.exchange("GET", server.uri(), null, 2_000, 5_000, ChannelCredentials.NONE).status()).isEqualTo(200);
      assertThatThrownBy(() -> c.exchange("GET", server.uri(), null, 2_000, 5_000, ChannelCredentials.NONE))
          .isInstanceOf(IOException.class);
      assertThat(server.accepted.get()).isEqualTo(1);
    }
  }
}
