package io.inmesh.smoke.tomcat;

import java.nio.file.Files;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.catalina.util.ServerInfo;

/**
 * A plain embedded Tomcat application (no inmesh code) for any Tomcat line: one NIO connector per
 * port given, all on one address, and one servlet on {@code /*} ({@link EchoServletJavax} on Tomcat 9,
 * {@link EchoServletJakarta} on 10.1 and 11, whichever Servlet API the class path has). The test
 * starts it with one line's jars only (target/tomcat9 or target/tomcat11), each in its own JVM.
 *
 * <p>This class uses only Tomcat's startup API whose signatures name no Servlet type (the servlet is
 * added by class name), which 9.0 and 11.0 share member for member: compiled once (against 11),
 * it runs on either line's jars.
 *
 * <p>Usage: {@code TomcatLineApp <address> <port> [<port>...]}.
 */
public final class TomcatLineApp {
  /** The connectors by port, so the servlet can stop one ({@code /stop-connector?port=N}). */
  static final Map<Integer, Connector> CONNECTORS = new ConcurrentHashMap<>();

  private TomcatLineApp() {}

  public static void main(String[] args) throws Exception {
    Tomcat tomcat = new Tomcat();
    tomcat.setBaseDir(Files.createTempDirectory("tomcat-line-").toString());
    tomcat.setHostname(args[0]);
    for (int i = 1; i < args.length; i++) {
      int port = Integer.parseInt(args[i]);
      Connector c;
      if (i == 1) {
        tomcat.setPort(port);
        c = tomcat.getConnector();
      } else {
        c = new Connector("HTTP/1.1");
        c.setPort(port);
        tomcat.getService().addConnector(c);
      }
      c.setProperty("address", args[0]);
      CONNECTORS.put(port, c);
    }
    Context context = tomcat.addContext("", null);
    // by name: loading the other line's servlet class would fail on this line's jars
    String servlet = "io.inmesh.smoke.tomcat.EchoServlet" + (hasClass("jakarta.servlet.Servlet") ? "Jakarta" : "Javax");
    Tomcat.addServlet(context, "echo", servlet);
    context.addServletMappingDecoded("/*", "echo");
    tomcat.start();
    StringBuilder ports = new StringBuilder();
    for (Connector c : CONNECTORS.values()) {
      ports.append(' ').append(c.getLocalPort());
    }
    System.out.println("tomcat " + ServerInfo.getServerNumber() + " (" + servlet + ") listening on " + args[0] + ":" + ports.toString().trim());
    tomcat.getServer().await();
  }

  private static boolean hasClass(String name) {
    try {
      Class.forName(name, false, TomcatLineApp.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  /** Stops the connector on {@code port} (Tomcat's own {@code Connector.stop()}); what happened, as text. */
  static String stopConnector(int port) {
    Connector c = CONNECTORS.remove(port);
    if (c == null) {
      return "stopped=none\n";
    }
    try {
      c.stop();
      return "stopped=" + port + "\n";
    } catch (Exception e) {
      return "error=" + e + "\n";
    }
  }
}
