package io.inmesh.smoke.apps.matrix;

import java.lang.reflect.Method;

/**
 * The server side of the client × server matrix (ClientServerMatrixSmokeTest): one workload serving
 * the same service through several server libraries, each on a port of its own, as a pod may run
 * several listeners. It starts the plain server applications of the servers' own smoke classes,
 * unchanged, each from its own {@code main} on a thread of its own (some of them block in
 * {@code main}, serving): whichever libraries the class path holds.
 *
 * <ul>
 *   <li>{@code jdk=P}: apps/tasks/TaskBackendApp (the JDK {@code HttpServer});
 *   <li>{@code tomcat=P}: tomcat/TomcatLineApp (the Tomcat line on the class path);
 *   <li>{@code jetty=P}: apps/jetty/JettyServerApp (Jetty 12);
 *   <li>{@code undertow=P}: undertow/UndertowServerApp (Undertow 2.3; its second listener and its
 *       extra server on P+100 and P+200);
 *   <li>{@code reactor-netty=P}: rnserver/ReactorNettyServerApp (its second server on P+100).
 * </ul>
 *
 * <p>Usage: {@code MatrixServersApp <address> <library>=<port>...}.
 */
public final class MatrixServersApp {
  private MatrixServersApp() {}

  public static void main(String[] args) throws Exception {
    String address = args[0];
    for (int i = 1; i < args.length; i++) {
      String library = args[i].substring(0, args[i].indexOf('='));
      int port = Integer.parseInt(args[i].substring(library.length() + 1));
      String p = String.valueOf(port);
      String[] app = switch (library) {
        case "jdk" -> new String[] {"io.inmesh.smoke.apps.tasks.TaskBackendApp", address, p};
        case "tomcat" -> new String[] {"io.inmesh.smoke.tomcat.TomcatLineApp", address, p};
        case "jetty" -> new String[] {"io.inmesh.smoke.apps.jetty.JettyServerApp", address, p};
        case "undertow" -> new String[] {"io.inmesh.smoke.undertow.UndertowServerApp", address, p, String.valueOf(port + 100), String.valueOf(port + 200)};
        case "reactor-netty" -> new String[] {"io.inmesh.smoke.rnserver.ReactorNettyServerApp", address, p, String.valueOf(port + 100)};
        default -> throw new IllegalArgumentException("unknown server library " + library);
      };
      Method main = Class.forName(app[0]).getMethod("main", String[].class);
      String[] appArgs = java.util.Arrays.copyOfRange(app, 1, app.length);
      Thread t = new Thread(() -> {
        try {
          main.invoke(null, (Object) appArgs);
        } catch (Exception e) {
          System.out.println(library + " failed: " + e);
          e.printStackTrace(System.out);
        }
      }, library + "-main");
      t.start();
    }
  }
}
