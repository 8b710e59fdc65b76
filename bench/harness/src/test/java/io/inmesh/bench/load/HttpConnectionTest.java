package io.inmesh.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The generator's HTTP/1.1 client against a real loopback server: fixed length, chunked, keep-alive. */
class HttpConnectionTest {
  static {
    // else the JDK server's Nagle meets the client's delayed ACK: 40 ms a response (see AppPair.JDK_NODELAY)
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private HttpServer server;
  private final AtomicInteger connections = new AtomicInteger();

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    server.createContext("/fixed", ex -> {
      byte[] body = "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    server.createContext("/chunked", ex -> {
      ex.sendResponseHeaders(201, 0);
      for (int i = 0; i < 5; i++) {
        ex.getResponseBody().write(("part " + i + "\n").repeat(100).getBytes(StandardCharsets.UTF_8));
        ex.getResponseBody().flush();
      }
      ex.close();
    });
    server.createContext("/missing", ex -> {
      ex.sendResponseHeaders(404, -1);
      ex.close();
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private HttpConnection conn(String path) {
    return new HttpConnection("127.0.0.1", server.getAddress().getPort(), path, null, 5000);
  }

  @Test
  void readsFixedLengthAndChunkedBodies_onOneKeptAliveConnection() throws IOException {
    try (HttpConnection fixed = conn("/fixed"); HttpConnection chunked = conn("/chunked"); HttpConnection missing = conn("/missing")) {
      for (int i = 0; i < 50; i++) {
        assertThat(fixed.get()).isEqualTo(200);
        assertThat(chunked.get()).isEqualTo(201);
        assertThat(missing.get()).isEqualTo(404);
      }
    }
  }

  @Test
  void sequentialProbeCountsEveryAnswer() {
    LoadResult r = new SequentialProbe("127.0.0.1", server.getAddress().getPort(), "/fixed", null).run(30, 200);
    assertThat(r.ok()).isEqualTo(200);
    assertThat(r.errors()).isZero();
    assertThat(r.latency().getTotalCount()).isEqualTo(200);
  }

  @Test
  void openLoopSendsExactlyTheScheduledCount() throws InterruptedException {
    LoadResult r = new OpenLoopGenerator("127.0.0.1", server.getAddress().getPort(), "/fixed", null).run(200, 0.5, 4, 0.25, 30);
    assertThat(r.completed() + r.errors()).isEqualTo(100);
    assertThat(r.slices()).hasSize(2);
    assertThat(r.slices().get(0).getTotalCount() + r.slices().get(1).getTotalCount()).isEqualTo(r.latency().getTotalCount());
  }
}
