package io.inmesh.instrumentation.jdkhttpserver;

import io.inmesh.bootstrap.InboundTls;
import io.inmesh.bootstrap.Mesh;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;

/**
 * PeerAuthentication on the JDK's {@code HttpServer}, inside the server's own connection handling
 * (no extra hop): when a new connection's first exchange starts ({@code ServerImpl$Exchange.run}),
 * the first byte tells a TLS ClientHello (0x16) from plain text, and the connection is given the
 * JDK's own TLS streams ({@code SSLStreams}, as an {@code HttpsServer} would use, over this
 * workload's certificate and the mesh roots, client certificates required) or its own plain
 * streams, before the exchange reads its request. STRICT refuses plain text at the connection;
 * PERMISSIVE serves both on one port; DISABLE leaves connections untouched. A kept-alive plain
 * connection on a port that became STRICT is closed when its next request arrives.
 *
 * <p>The JDK server has no extension point for this (an {@code HttpsServer} is TLS-only, for every
 * connection), so the package-private stream classes are used by reflection, in the package
 * {@code jpmsModulesToOpen} opens. Anything going wrong closes the connection: security fails closed.
 */
public final class MtlsConnections {
  private static volatile Handles handles;
  private static volatile Throwable unavailable;
  /**
   * Set once the mesh terminated TLS on some connection of this JVM's servers: until then no
   * exchange can have a mesh TLS session, and {@link #session} answers null without reflection
   * (issue 13: a plain server no longer pays two reflective calls per request).
   */
  private static volatile boolean anyTls;

  private MtlsConnections() {}

  /** Called as an exchange starts on {@code chan}; never throws. */
  public static void onExchange(Object exchange, SocketChannel chan) {
    int mode = InboundTls.PLAIN;
    try {
      if (chan == null) {
        return;
      }
      mode = Mesh.inboundTls((InetSocketAddress) chan.getLocalAddress());
      if (mode == InboundTls.PLAIN) {
        return; // the common case without mTLS: the JDK's own path, untouched
      }
      Handles h = handles();
      if (!"http".equalsIgnoreCase((String) h.exProtocol.get(exchange))) {
        return; // the application's own HttpsServer: its TLS, not the mesh's
      }
      Object connection = h.exConnection.get(exchange);
      if (h.connContext.get(connection) != null) {
        // a kept-alive connection: plain text on a port that is STRICT now is closed
        if (h.connEngine.get(connection) == null && (mode == InboundTls.MTLS_ONLY || mode == InboundTls.REFUSE)) {
          chan.close();
        }
        return;
      }
      if (mode == InboundTls.REFUSE) {
        chan.close();
        return;
      }
      ByteBuffer first = ByteBuffer.allocate(1);
      if (chan.read(first) <= 0) {
        chan.close();
        return;
      }
      first.flip();
      boolean tls = (first.get(0) & 0xff) == InboundTls.TLS_HANDSHAKE_RECORD;
      if (!tls && mode == InboundTls.MTLS_ONLY) {
        chan.close(); // STRICT: plain text is refused at the connection
        return;
      }
      Object server = h.exServer.get(exchange);
      Object context = h.anyContext(server);
      if (context == null) {
        chan.close();
        return;
      }
      PrefixedChannel stream = new PrefixedChannel(chan, first);
      String protocol = (String) h.exProtocol.get(exchange);
      if (tls) {
        SSLContext sc = Mesh.inboundSslContext();
        if (sc == null) {
          chan.close();
          return;
        }
        anyTls = true; // before the connection's streams are set: its first exchange must find the session
        Object ssl = h.sslStreams.newInstance(server, sc, stream);
        SSLEngine engine = (SSLEngine) h.sslEngine.invoke(ssl);
        Mesh.configureInboundEngine(engine);
        InputStream in = (InputStream) h.sslIn.invoke(ssl);
        OutputStream out = (OutputStream) h.sslOut.invoke(ssl);
        h.setParameters.invoke(connection, in, out, chan, engine, ssl, sc, protocol, context, in);
      } else {
        InputStream in = new BufferedInputStream((InputStream) h.readStream.newInstance(server, stream));
        OutputStream out = (OutputStream) h.writeStream.newInstance(server, stream);
        h.setParameters.invoke(connection, in, out, chan, null, null, null, protocol, context, in);
      }
    } catch (Throwable t) {
      if (mode != InboundTls.PLAIN) {
        try {
          chan.close();
        } catch (Throwable ignored) {
          // closed or closing: nothing is served either way
        }
      }
      Mesh.failed("jdk-httpserver-mtls", t);
    }
  }

  /** The TLS session of an exchange the mesh terminated mTLS for, or null. */
  public static SSLSession session(Object exchange) {
    if (!anyTls) {
      return null;
    }
    try {
      Handles h = handles();
      Object impl = h.exchangeImplGet.invoke(null, exchange);
      return impl == null ? null : (SSLSession) h.exchangeImplSession.invoke(impl);
    } catch (Throwable t) {
      return null;
    }
  }

  private static Handles handles() throws Exception {
    Handles h = handles;
    if (h == null) {
      if (unavailable != null) {
        throw new IllegalStateException("the JDK server's internals are not as expected", unavailable);
      }
      try {
        h = new Handles();
      } catch (Throwable t) {
        unavailable = t;
        throw t;
      }
      handles = h;
    }
    return h;
  }

  /** Reflective handles on the JDK server's package-private connection classes (Java 17 to 25). */
  private static final class Handles {
    final Field exConnection;
    final Field exProtocol;
    final Field exServer;
    final Field connContext;
    final Field connEngine;
    final Field serverContexts;
    final Field contextListList;
    final Method setParameters;
    final Constructor<?> sslStreams;
    final Method sslEngine;
    final Method sslIn;
    final Method sslOut;
    final Constructor<?> readStream;
    final Constructor<?> writeStream;
    final Method exchangeImplGet;
    final Method exchangeImplSession;

    Handles() throws Exception {
      ClassLoader l = com.sun.net.httpserver.HttpServer.class.getClassLoader();
      Class<?> serverImpl = Class.forName("sun.net.httpserver.ServerImpl", false, l);
      Class<?> exchange = Class.forName("sun.net.httpserver.ServerImpl$Exchange", false, l);
      Class<?> connection = Class.forName("sun.net.httpserver.HttpConnection", false, l);
      Class<?> ssl = Class.forName("sun.net.httpserver.SSLStreams", false, l);
      Class<?> contextImpl = Class.forName("sun.net.httpserver.HttpContextImpl", false, l);
      Class<?> contextList = Class.forName("sun.net.httpserver.ContextList", false, l);
      Class<?> exchangeImpl = Class.forName("sun.net.httpserver.ExchangeImpl", false, l);
      exConnection = field(exchange, "connection");
      exProtocol = field(exchange, "protocol");
      exServer = field(exchange, "this$0");
      connContext = field(connection, "context");
      connEngine = field(connection, "engine");
      serverContexts = field(serverImpl, "contexts");
      contextListList = field(contextList, "list");
      setParameters = connection.getDeclaredMethod("setParameters", InputStream.class, OutputStream.class, SocketChannel.class,
          SSLEngine.class, ssl, SSLContext.class, String.class, contextImpl, InputStream.class);
      setParameters.setAccessible(true);
      sslStreams = ssl.getDeclaredConstructor(serverImpl, SSLContext.class, SocketChannel.class);
      sslStreams.setAccessible(true);
      sslEngine = method(ssl, "getSSLEngine");
      sslIn = method(ssl, "getInputStream");
      sslOut = method(ssl, "getOutputStream");
      readStream = Class.forName("sun.net.httpserver.Request$ReadStream", false, l).getDeclaredConstructor(serverImpl, SocketChannel.class);
      readStream.setAccessible(true);
      writeStream = Class.forName("sun.net.httpserver.Request$WriteStream", false, l).getDeclaredConstructor(serverImpl, SocketChannel.class);
      writeStream.setAccessible(true);
      exchangeImplGet = exchangeImpl.getDeclaredMethod("get", com.sun.net.httpserver.HttpExchange.class);
      exchangeImplGet.setAccessible(true);
      exchangeImplSession = method(exchangeImpl, "getSSLSession");
    }

    /** Some context of the server: the connection needs one until its first request picks its own. */
    Object anyContext(Object server) throws IllegalAccessException {
      Object list = serverContexts.get(server);
      synchronized (list) {
        List<?> contexts = (List<?>) contextListList.get(list);
        return contexts.isEmpty() ? null : contexts.get(0);
      }
    }

    private static Field field(Class<?> c, String name) throws NoSuchFieldException {
      Field f = c.getDeclaredField(name);
      f.setAccessible(true);
      return f;
    }

    private static Method method(Class<?> c, String name) throws NoSuchMethodException {
      Method m = c.getDeclaredMethod(name);
      m.setAccessible(true);
      return m;
    }
  }
}
