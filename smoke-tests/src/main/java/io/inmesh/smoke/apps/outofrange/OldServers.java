package io.inmesh.smoke.apps.outofrange;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Servers older than the versions inmesh meshes (Tomcat 8.5 and 10.0, Undertow 1.4), each from its
 * own directory of jars in a class loader of its own (two Tomcats cannot share one), started through
 * the server's own embedding API by reflection: the application is compiled against none of them.
 * A Tomcat serves no application, so every request gets Tomcat's own 404 page: what matters is that
 * the server answers, unmeshed, as without the agent.
 */
final class OldServers {
  private OldServers() {}

  /** Starts the Tomcat in {@code jars} on {@code address:port}; returns its version. */
  static String startTomcat(Path jars, String address, int port) throws Exception {
    ClassLoader loader = loader(jars);
    // the JVM takes one URL stream handler factory: the second Tomcat must not try to register its own
    loader.loadClass("org.apache.catalina.webresources.TomcatURLStreamHandlerFactory").getMethod("disable").invoke(null);
    Class<?> tomcatClass = loader.loadClass("org.apache.catalina.startup.Tomcat");
    Object tomcat = tomcatClass.getConstructor().newInstance();
    Path base = Files.createTempDirectory("old-tomcat");
    tomcatClass.getMethod("setBaseDir", String.class).invoke(tomcat, base.toString());
    tomcatClass.getMethod("setPort", int.class).invoke(tomcat, port);
    tomcatClass.getMethod("setHostname", String.class).invoke(tomcat, address);
    Object connector = tomcatClass.getMethod("getConnector").invoke(tomcat);
    connector.getClass().getMethod("setProperty", String.class, String.class).invoke(connector, "address", address);
    // an engine name of its own: two Tomcats in one JVM would otherwise share their JMX names
    Object engine = tomcatClass.getMethod("getEngine").invoke(tomcat);
    engine.getClass().getMethod("setName", String.class).invoke(engine, "tomcat-" + jars.getFileName());
    tomcatClass.getMethod("addContext", String.class, String.class).invoke(tomcat, "", base.toString());
    tomcatClass.getMethod("start").invoke(tomcat);
    Class<?> info = loader.loadClass("org.apache.catalina.util.ServerInfo");
    return (String) info.getMethod("getServerNumber").invoke(null);
  }

  /**
   * Undertow 1.4 from {@code jars} (with its XNIO) on {@code address:port}, every request answered
   * 418 by Undertow's own {@code ResponseCodeHandler}; returns its version.
   */
  static String startUndertow(Path jars, String address, int port) throws Exception {
    ClassLoader loader = loader(jars);
    Class<?> undertow = loader.loadClass("io.undertow.Undertow");
    Class<?> handlerType = loader.loadClass("io.undertow.server.HttpHandler");
    Object handler = loader.loadClass("io.undertow.server.handlers.ResponseCodeHandler").getConstructor(int.class).newInstance(418);
    Object builder = undertow.getMethod("builder").invoke(null);
    builder.getClass().getMethod("addHttpListener", int.class, String.class).invoke(builder, port, address);
    builder.getClass().getMethod("setHandler", handlerType).invoke(builder, handler);
    Object server = builder.getClass().getMethod("build").invoke(builder);
    undertow.getMethod("start").invoke(server);
    return (String) loader.loadClass("io.undertow.Version").getMethod("getVersionString").invoke(null);
  }

  private static ClassLoader loader(Path jars) throws java.io.IOException {
    List<URL> urls = new ArrayList<>();
    try (Stream<Path> s = Files.list(jars)) {
      for (Path p : s.filter(f -> f.toString().endsWith(".jar")).sorted().toList()) {
        urls.add(p.toUri().toURL());
      }
    }
    return new URLClassLoader("old-" + jars.getFileName(), urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
  }

  /** {@code tomcat=<dir>:<port>} and {@code undertow=<dir>:<port>} arguments. */
  static void startAll(String address, String[] args) throws Exception {
    for (String a : args) {
      int eq = a.indexOf('=');
      if (eq < 0) {
        continue;
      }
      String kind = a.substring(0, eq);
      String spec = a.substring(eq + 1);
      int colon = spec.lastIndexOf(':');
      Path dir = Path.of(spec.substring(0, colon));
      int port = Integer.parseInt(spec.substring(colon + 1));
      String version = switch (kind) {
        case "tomcat" -> startTomcat(dir, address, port);
        case "undertow" -> startUndertow(dir, address, port);
        default -> throw new IllegalArgumentException("unknown server " + kind);
      };
      System.out.println("old " + kind + " " + version + " started on " + address + ":" + port + " (" + dir.getFileName() + File.separator + ")");
    }
  }
}
