package io.inmesh.instrumentation.jettyserver;

import java.util.concurrent.Executor;
import javax.net.ssl.SSLEngine;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;

/**
 * Jetty's own TLS connection, for a connection the mesh terminates: the class says the session is the
 * mesh's (this workload's SPIFFE certificate, a verified mesh client certificate), not TLS the
 * application configured itself, so {@link MeshInboundHandler} takes its peer as the mesh identity.
 */
public final class MeshSslConnection extends SslConnection {

  public MeshSslConnection(ByteBufferPool pool, Executor executor, EndPoint endPoint, SSLEngine engine) {
    super(pool, executor, endPoint, engine);
  }
}
