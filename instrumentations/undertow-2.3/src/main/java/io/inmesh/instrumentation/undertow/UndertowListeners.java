package io.inmesh.instrumentation.undertow;

import io.inmesh.bootstrap.Mesh;
import io.undertow.Undertow;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/** Registers and deregisters an {@code Undertow}'s HTTP and HTTPS listeners (AJP is not HTTP to a mesh client). */
public final class UndertowListeners {
  private UndertowListeners() {}

  public static void started(Undertow undertow) {
    each(undertow, true);
  }

  public static void stopping(Undertow undertow) {
    each(undertow, false);
  }

  private static void each(Undertow undertow, boolean started) {
    java.util.List<Undertow.ListenerInfo> listeners;
    try {
      listeners = undertow.getListenerInfo();
    } catch (IllegalStateException notStarted) {
      return; // start() failed, or stop() of a server that never started
    } catch (Throwable t) {
      Mesh.failed("undertow-server", t);
      return;
    }
    for (Undertow.ListenerInfo info : listeners) {
      try {
        String protocol = info.getProtcol(); // sic: Undertow's spelling
        SocketAddress address = info.getAddress();
        if (("http".equals(protocol) || "https".equals(protocol)) && address instanceof InetSocketAddress bound && bound.getPort() > 0) {
          if (started) {
            Mesh.serverStarted("undertow", bound);
          } else {
            Mesh.serverStopped("undertow", bound);
          }
        }
      } catch (Throwable t) {
        Mesh.failed("undertow-server", t);
      }
    }
  }
}
