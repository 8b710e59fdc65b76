package io.inmesh.agent.lifecycle;

/** Recognises a library's timeout exceptions (the application's own timeouts surface as they are). */
final class Timeouts {
  private Timeouts() {}

  static boolean isTimeout(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      String n = c.getClass().getName();
      if (n.equals("java.net.http.HttpConnectTimeoutException")
          || (n.equals("java.net.SocketTimeoutException") && String.valueOf(c.getMessage()).toLowerCase().contains("connect"))) {
        return false; // a connect timeout is a connect failure
      }
      if (n.equals("java.net.http.HttpTimeoutException") || n.equals("java.net.SocketTimeoutException")
          || n.equals("java.util.concurrent.TimeoutException")) {
        return true;
      }
    }
    return false;
  }
}
