package io.inmesh.agent.retry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** Classification of the exceptions the JDK HttpClient and HttpURLConnection throw. */
class FailureKindTest {

  @Test
  void connectFailures() {
    assertThat(FailureKind.of(new ConnectException("Connection refused"))).isEqualTo(FailureKind.CONNECT_FAILURE);
    assertThat(FailureKind.of(new HttpConnectTimeoutException("HTTP connect timed out"))).isEqualTo(FailureKind.CONNECT_FAILURE);
    assertThat(FailureKind.of(new NoRouteToHostException())).isEqualTo(FailureKind.CONNECT_FAILURE);
    assertThat(FailureKind.of(new UnknownHostException("nowhere"))).isEqualTo(FailureKind.CONNECT_FAILURE);
    assertThat(FailureKind.of(new SocketTimeoutException("Connect timed out"))).isEqualTo(FailureKind.CONNECT_FAILURE);
  }

  @Test
  void resets() {
    assertThat(FailureKind.of(new SocketException("Connection reset"))).isEqualTo(FailureKind.RESET);
    assertThat(FailureKind.of(new EOFException("EOF reached while reading"))).isEqualTo(FailureKind.RESET);
    assertThat(FailureKind.of(new IOException("HTTP/1.1 header parser received no bytes"))).isEqualTo(FailureKind.RESET);
  }

  @Test
  void refusedStream() {
    assertThat(FailureKind.of(new IOException("request not processed by peer"))).isEqualTo(FailureKind.REFUSED_STREAM);
    assertThat(FailureKind.of(new IOException("Received RST_STREAM: Refused stream"))).isEqualTo(FailureKind.REFUSED_STREAM);
  }

  @Test
  void timeouts() {
    assertThat(FailureKind.of(new HttpTimeoutException("request timed out"))).isEqualTo(FailureKind.PER_TRY_TIMEOUT);
    assertThat(FailureKind.of(new SocketTimeoutException("Read timed out"))).isEqualTo(FailureKind.PER_TRY_TIMEOUT);
  }

  @Test
  void cancellations() {
    assertThat(FailureKind.of(new CancellationException())).isEqualTo(FailureKind.CANCELLED);
    assertThat(FailureKind.of(new InterruptedException())).isEqualTo(FailureKind.CANCELLED);
    assertThat(FailureKind.of(new IOException("Request cancelled"))).isEqualTo(FailureKind.CANCELLED);
  }

  @Test
  void wrappersAreWalkedAndTheSpecificCauseWins() {
    assertThat(FailureKind.of(new CompletionException(new ConnectException("Connection refused")))).isEqualTo(FailureKind.CONNECT_FAILURE);
    assertThat(FailureKind.of(new ExecutionException(new HttpConnectTimeoutException("x")))).isEqualTo(FailureKind.CONNECT_FAILURE);
    // The JDK client's send() rethrows a plain ConnectException wrapping a ClosedChannelException...
    assertThat(FailureKind.of(new IOException("wrapped", new ConnectException("refused")))).isEqualTo(FailureKind.CONNECT_FAILURE);
    assertThat(FailureKind.of(new UncheckedIOException(new SocketException("Connection reset")))).isEqualTo(FailureKind.RESET);
  }

  @Test
  void somethingElseIsOther() {
    assertThat(FailureKind.of(new IllegalStateException("bug"))).isEqualTo(FailureKind.OTHER);
    assertThat(FailureKind.of(null)).isEqualTo(FailureKind.OTHER);
    Exception selfCaused = new RuntimeException() {
      @Override
      public synchronized Throwable getCause() {
        return this;
      }
    };
    assertThat(FailureKind.of(selfCaused)).isEqualTo(FailureKind.OTHER);
  }
}
