package io.inmesh.instrumentation.jettyserver;

import io.inmesh.bootstrap.Mesh;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.NetworkConnector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.SslConnectionFactory;

/**
 * Puts {@link MeshTlsDetector} first on each network connector of a {@code Server} as it starts
 * ({@code Server.doStart}, before it starts its connectors: a running connector's factories cannot
 * change). Left alone: connectors the application made TLS itself (an {@code SslConnectionFactory},
 * its own certificate, not the mesh's), connectors already prepared (a restarted server). A connector
 * added to a running server is not prepared: it serves no mesh mTLS, and under STRICT its plain
 * requests are refused by {@link MeshInboundHandler} (fail closed).
 */
public final class MeshConnectors {
  private MeshConnectors() {}

  public static void prepare(Server server) {
    try {
      for (Connector c : server.getConnectors()) {
        if (c instanceof AbstractConnector && c instanceof NetworkConnector && !c.isRunning()) {
          prepare((AbstractConnector) c);
        }
      }
    } catch (Throwable t) {
      Mesh.failed("jetty-mtls", t);
    }
  }

  private static void prepare(AbstractConnector connector) {
    for (ConnectionFactory f : connector.getConnectionFactories()) {
      if (f instanceof SslConnectionFactory || f instanceof MeshTlsDetector || f.getClass().getName().equals(MeshTlsDetector.class.getName())) {
        return;
      }
    }
    String own = connector.getDefaultProtocol();
    if (own == null || connector.getConnectionFactory(own) == null) {
      return;
    }
    MeshTlsDetector detector = new MeshTlsDetector(own);
    connector.addFirstConnectionFactory(detector);
    connector.setDefaultProtocol(detector.getProtocol());
  }
}
