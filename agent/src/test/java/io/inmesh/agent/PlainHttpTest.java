package io.inmesh.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.agent.local.LocalResponder;
import io.inmesh.agent.net.PlainHttpServer;
import io.inmesh.bootstrap.LocalAnswer;
import io.inmesh.policy.control.PlainHttp;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PlainHttpTest {

  @Test
  void clientAndServerRoundTripWithBodies() throws Exception {
    try (PlainHttpServer s =
        PlainHttpServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), "t", 2,
            r -> PlainHttpServer.Response.text(201, r.method() + " " + r.path() + " " + new String(r.body(), StandardCharsets.UTF_8)))) {
      URI u = URI.create("http://127.0.0.1:" + s.address().getPort() + "/x?y=1");
      PlainHttp.Response r = PlainHttp.postJson(u, "{\"a\":1}".getBytes(StandardCharsets.UTF_8), 1000, 1000);
      assertThat(r.status()).isEqualTo(201);
      assertThat(r.bodyText()).isEqualTo("POST /x?y=1 {\"a\":1}");
      // a real client library agrees with our server
      HttpResponse<String> j = HttpClient.newHttpClient().send(HttpRequest.newBuilder(u).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(j.statusCode()).isEqualTo(201);
      assertThat(j.body()).isEqualTo("GET /x?y=1 ");
    }
  }

  @Test
  void theResponderAnswersInEnvoysWordsForTheJdkClientsAndHttpUrlConnection() throws Exception {
    LocalResponder responder = new LocalResponder();
    InetSocketAddress a = responder.address();
    String token = responder.token(new LocalAnswer(503, "no healthy upstream", "UH"));
    HttpURLConnection c = (HttpURLConnection) new URL("http", "127.0.0.1", a.getPort(), LocalResponder.PATH_PREFIX + token).openConnection();
    assertThat(c.getResponseCode()).isEqualTo(503);
    assertThat(new String(c.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("no healthy upstream");
    HttpResponse<String> j =
        HttpClient.newHttpClient()
            .send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.getPort() + "/usuarios/1")).header("x-inmesh-local-reply", "404-NR").build(), HttpResponse.BodyHandlers.ofString());
    assertThat(j.statusCode()).isEqualTo(404);
    assertThat(j.body()).isEmpty();
    assertThat(j.headers().firstValue("x-inmesh-reason")).contains("NR");
    // a large upload to a local answer still gets the answer (fixed length and chunked)
    HttpURLConnection post = (HttpURLConnection) new URL("http", "127.0.0.1", a.getPort(), LocalResponder.PATH_PREFIX + token).openConnection();
    post.setDoOutput(true);
    post.setFixedLengthStreamingMode(5_000_000);
    post.getOutputStream().write(new byte[5_000_000]);
    assertThat(post.getResponseCode()).isEqualTo(503);
    HttpURLConnection chunked = (HttpURLConnection) new URL("http", "127.0.0.1", a.getPort(), LocalResponder.PATH_PREFIX + token).openConnection();
    chunked.setDoOutput(true);
    chunked.setChunkedStreamingMode(8192);
    chunked.getOutputStream().write(new byte[3_000_000]);
    assertThat(chunked.getResponseCode()).isEqualTo(503);
    responder.close();
  }
}
