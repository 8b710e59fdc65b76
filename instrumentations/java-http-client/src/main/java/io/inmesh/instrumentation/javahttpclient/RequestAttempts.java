package io.inmesh.instrumentation.javahttpclient;

import io.inmesh.bootstrap.Attempt;
import io.inmesh.bootstrap.Mesh;
import io.inmesh.bootstrap.OutboundCall;
import io.opentelemetry.instrumentation.api.util.VirtualField;
import java.net.InetSocketAddress;
import java.net.URI;
import jdk.internal.net.http.HttpRequestImpl;

/** The attempt each of the client's request copies belongs to, in a virtual field. */
public final class RequestAttempts {
  private static final VirtualField<HttpRequestImpl, Attempt> ATTEMPT = VirtualField.find(HttpRequestImpl.class, Attempt.class);

  private RequestAttempts() {}

  /** The client copied {@code user}: an attempt's request hands its attempt on. */
  public static void fromUserRequest(HttpRequestImpl copy, java.net.http.HttpRequest user) {
    if (user instanceof AttemptRequest) {
      ATTEMPT.set(copy, ((AttemptRequest) user).attempt());
    } else if (user != null) {
      // not a mesh attempt (a mesh call sends AttemptRequests): a call that passes through gets the
      // trace context of the request served on this thread (mesh profile only; sendAsync makes this
      // copy on the calling thread)
      PassThroughHeaders h = new PassThroughHeaders(copy, user);
      Mesh.propagate(h, h);
    }
  }

  /** The application's headers to read, the client's system headers to write (the user request is immutable). */
  public static final class PassThroughHeaders implements java.util.function.Function<String, String>, io.inmesh.bootstrap.HeaderSink {
    private final HttpRequestImpl copy;
    private final java.net.http.HttpRequest user;

    PassThroughHeaders(HttpRequestImpl copy, java.net.http.HttpRequest user) {
      this.copy = copy;
      this.user = user;
    }

    @Override
    public String apply(String name) {
      return user.headers().firstValue(name).orElse(null);
    }

    @Override
    public void set(String name, String value) {
      copy.setSystemHeader(name, value);
    }

    @Override
    public void add(String name, String value) {
      copy.setSystemHeader(name, value);
    }

    @Override
    public void remove(String name) {
      // only ever adds
    }
  }

  /** A copy for an authentication retry keeps the attempt; one for a redirect is routed anew. */
  public static void copied(HttpRequestImpl copy, URI uri, HttpRequestImpl other) {
    Attempt a = ATTEMPT.get(other);
    if (a != null && uri != null && uri.equals(other.uri())) {
      ATTEMPT.set(copy, a);
      return;
    }
    if (uri == null || !"http".equalsIgnoreCase(uri.getScheme())) {
      return;
    }
    OutboundCall call = Mesh.outbound(new JdkRequestView(copy));
    if (call == null) {
      return;
    }
    // the library follows the redirect itself: one attempt, whose outcome the exchange it belongs to reports
    Attempt redirected = call.startAttempt();
    redirected.onEnd();
    if (redirected.isLocalReply()) {
      copy.setSystemHeader(Mesh.LOCAL_REPLY_HEADER, redirected.localReplyToken());
    }
    ATTEMPT.set(copy, redirected);
  }

  /** How the request's attempt is secured (null: plain text, or not a mesh attempt). */
  public static io.inmesh.bootstrap.UpstreamTls tls(HttpRequestImpl request) {
    Attempt a = ATTEMPT.get(request);
    return a == null ? null : a.tls();
  }

  /** The attempt a request copy belongs to, or null. */
  public static Attempt attempt(HttpRequestImpl request) {
    return ATTEMPT.get(request);
  }

  public static InetSocketAddress address(HttpRequestImpl request) {
    Attempt a = ATTEMPT.get(request);
    return a == null ? null : a.address();
  }
}
