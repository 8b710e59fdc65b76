package io.inmesh.bootstrap;

import java.net.InetSocketAddress;

/**
 * The frozen seam between adapters and the mesh engine. Advice inlined into JDK and application
 * classes calls these static methods; they never throw (fail open): an error inside inmesh is
 * recorded once and the call proceeds as if inmesh were absent.
 */
public final class Mesh {

  /** The header a java.net.http call to the local responder carries to name its answer. */
  public static final String LOCAL_REPLY_HEADER = "x-inmesh-local-reply";

  private static volatile MeshRuntime runtime;
  private static volatile FailureSink failures = FailureSink.STDERR_ONCE;

  private Mesh() {}

  /** Called once by the engine when it starts. */
  public static void install(MeshRuntime meshRuntime, FailureSink sink) {
    if (sink != null) {
      failures = sink;
    }
    runtime = meshRuntime;
  }

  /** See {@link MeshRuntime#outbound}; null means "leave the call alone". Never blocks. */
  public static OutboundCall outbound(OutboundRequest request) {
    MeshRuntime rt = runtime;
    if (rt == null) {
      return null;
    }
    try {
      return rt.outbound(request);
    } catch (Throwable t) {
      failed("outbound", t);
      return null;
    }
  }

  /**
   * For blocking libraries: like {@link #outbound}, but before the first snapshot a call to a
   * possible mesh host waits for it (all such calls together, bounded by INMESH_STARTUP_WAIT from
   * the agent's start).
   */
  public static OutboundCall outboundWaiting(OutboundRequest request) {
    MeshRuntime rt = runtime;
    if (rt == null) {
      return null;
    }
    try {
      long wait = rt.startupWaitNanos(request.host());
      if (wait > 0) {
        try {
          rt.firstSnapshot().toCompletableFuture().get(wait, java.util.concurrent.TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
          // the engine says once that calls pass through until a snapshot arrives
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return rt.outbound(request);
    } catch (Throwable t) {
      failed("outbound", t);
      return null;
    }
  }

  /**
   * For non-blocking libraries: null when the call can be decided now (then call
   * {@link #outbound}); otherwise a stage completing when it can, so no thread is parked.
   */
  public static java.util.concurrent.CompletionStage<Void> beforeDecision(String host) {
    MeshRuntime rt = runtime;
    if (rt == null) {
      return null;
    }
    try {
      return rt.startupWaitNanos(host) > 0 ? rt.firstSnapshot() : null;
    } catch (Throwable t) {
      failed("outbound", t);
      return null;
    }
  }

  /** See {@link MeshRuntime#routes}; false when the mesh is off or on an internal error. Never blocks. */
  public static boolean routes(String host) {
    MeshRuntime rt = runtime;
    if (rt == null || host == null) {
      return false;
    }
    try {
      return rt.routes(host);
    } catch (Throwable t) {
      failed("routes", t);
      return false;
    }
  }

  /**
   * For a call that passes through (not a mesh host: {@link #outbound} returned null): writes the
   * trace-context headers of the request being served on this thread (or a fresh trace), in the
   * mesh profile only, unless the application set its own ({@code existing} reads the request's
   * headers as the application wrote them, case-insensitive). Mesh calls get them from
   * {@link OutboundCall#editRequest}. Never throws.
   */
  public static void propagate(java.util.function.Function<String, String> existing, HeaderSink request) {
    MeshRuntime rt = runtime;
    if (rt == null || request == null) {
      return;
    }
    try {
      rt.propagate(existing, request);
    } catch (Throwable t) {
      failed("propagate", t);
    }
  }

  public static void serverStarted(String library, InetSocketAddress bound) {
    MeshRuntime rt = runtime;
    if (rt == null || bound == null) {
      return;
    }
    try {
      rt.serverStarted(library, bound);
    } catch (Throwable t) {
      failed("server-start", t);
    }
  }

  public static void serverStopped(String library, InetSocketAddress bound) {
    MeshRuntime rt = runtime;
    if (rt == null || bound == null) {
      return;
    }
    try {
      rt.serverStopped(library, bound);
    } catch (Throwable t) {
      failed("server-stop", t);
    }
  }

  /** See {@link MeshRuntime#inbound}; null means "let the request through". */
  public static LocalAnswer inbound(InboundRequest request) {
    MeshRuntime rt = runtime;
    if (rt == null) {
      return null;
    }
    try {
      return rt.inbound(request);
    } catch (Throwable t) {
      failed("inbound", t);
      return null;
    }
  }

  /** See {@link MeshRuntime#inboundResponse}. */
  public static void inboundResponse(HeaderSink response) {
    MeshRuntime rt = runtime;
    if (rt == null) {
      return;
    }
    try {
      rt.inboundResponse(response);
    } catch (Throwable t) {
      failed("inbound", t);
    }
  }

  /** See {@link MeshRuntime#inboundEnd}. */
  public static void inboundEnd() {
    MeshRuntime rt = runtime;
    if (rt == null) {
      return;
    }
    try {
      rt.inboundEnd();
    } catch (Throwable t) {
      failed("inbound", t);
    }
  }

  /**
   * See {@link MeshRuntime#inboundTls}. Security fails closed: an error inside inmesh refuses the
   * connection rather than serving it in plain text.
   */
  public static int inboundTls(InetSocketAddress local) {
    MeshRuntime rt = runtime;
    if (rt == null) {
      return InboundTls.PLAIN;
    }
    try {
      return rt.inboundTls(local);
    } catch (Throwable t) {
      failed("inbound-tls", t);
      return InboundTls.REFUSE;
    }
  }

  /** See {@link MeshRuntime#inboundSslContext}; null when there is none (the adapter then refuses TLS). */
  public static javax.net.ssl.SSLContext inboundSslContext() {
    MeshRuntime rt = runtime;
    if (rt == null) {
      return null;
    }
    try {
      return rt.inboundSslContext();
    } catch (Throwable t) {
      failed("inbound-tls", t);
      return null;
    }
  }

  /** See {@link MeshRuntime#configureInboundEngine}; errors propagate so the adapter refuses the connection. */
  public static void configureInboundEngine(javax.net.ssl.SSLEngine engine) {
    MeshRuntime rt = runtime;
    if (rt == null) {
      throw new IllegalStateException("inmesh is not running");
    }
    rt.configureInboundEngine(engine);
  }

  /** See {@link MeshRuntime#forwardedClientCert}; null on error (the header is then absent, never forged). */
  public static String forwardedClientCert(java.security.cert.Certificate[] peer) {
    MeshRuntime rt = runtime;
    if (rt == null || peer == null) {
      return null;
    }
    try {
      return rt.forwardedClientCert(peer);
    } catch (Throwable t) {
      failed("inbound-tls", t);
      return null;
    }
  }

  /** Adapters report their own unexpected errors here (then proceed untouched). */
  public static void failed(String where, Throwable t) {
    try {
      failures.failed(where, t);
    } catch (Throwable ignored) {
      // nothing more can be done without risking the application's call
    }
  }

  /** Where inmesh's own errors go: logged once per kind and counted by the engine. */
  public interface FailureSink {
    FailureSink STDERR_ONCE =
        new FailureSink() {
          private volatile boolean logged;

          @Override
          public void failed(String where, Throwable t) {
            if (!logged) {
              logged = true;
              System.err.println("[inmesh] internal error in " + where + " (call proceeds untouched): " + t);
            }
          }
        };

    void failed(String where, Throwable t);
  }
}
