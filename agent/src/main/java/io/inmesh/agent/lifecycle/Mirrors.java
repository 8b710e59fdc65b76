package io.inmesh.agent.lifecycle;

import io.inmesh.agent.upstream.EndpointState;
import io.inmesh.agent.upstream.Upstreams;
import io.inmesh.bootstrap.MirrorRequest;
import io.inmesh.policy.compile.Cluster;
import io.inmesh.policy.log.Log;
import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Istio's traffic mirroring: a copy of the request goes to the mirror destination with its
 * authority suffixed {@code -shadow}, fire and forget. Copies wait on a bounded queue served by one
 * daemon thread of the agent's own (plain sockets: mirror traffic is never meshed or traced); when
 * the queue is full the copy is dropped and counted, so mirroring never slows or changes the
 * primary call.
 */
final class Mirrors {
  private static final int QUEUE = 256;
  private static final int TIMEOUT_MILLIS = 2000;

  private final Upstreams upstreams;
  private final CallStats stats;
  private final BlockingQueue<Copy> queue = new ArrayBlockingQueue<>(QUEUE);
  private volatile Thread sender;

  Mirrors(Upstreams upstreams, CallStats stats) {
    this.upstreams = upstreams;
    this.stats = stats;
  }

  private record Copy(InetSocketAddress to, String authority, MirrorRequest request) {}

  void offer(Cluster cluster, Lifecycle.Request original, MirrorRequest copy, String rewrittenAuthority) {
    InetSocketAddress[] addresses = cluster.addressesFor(original.request.port());
    if (addresses.length == 0 || cluster.passthrough()) {
      stats.mirrorDropped.increment();
      return;
    }
    EndpointState ep =
        upstreams.cluster(cluster.name()).pick(addresses, cluster.trafficPolicy(), original, List.of());
    if (ep == null) {
      stats.mirrorDropped.increment();
      return;
    }
    String host = rewrittenAuthority != null ? rewrittenAuthority : original.request.header("host");
    if (host == null) {
      host = original.request.port() > 0 ? original.request.host() + ":" + original.request.port() : original.request.host();
    }
    int colon = host.lastIndexOf(':');
    String shadow = colon > 0 && host.indexOf(']') < colon ? host.substring(0, colon) + "-shadow" + host.substring(colon) : host + "-shadow";
    if (!queue.offer(new Copy(ep.address(), shadow, copy))) {
      stats.mirrorDropped.increment();
      return;
    }
    ensureSender();
  }

  private void ensureSender() {
    if (sender == null) {
      synchronized (this) {
        if (sender == null) {
          Thread t = new Thread(this::run, "inmesh-mirror");
          t.setDaemon(true);
          t.start();
          sender = t;
        }
      }
    }
  }

  private void run() {
    for (;;) {
      Copy c;
      try {
        c = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      try {
        send(c);
        stats.mirrored.increment();
      } catch (Exception e) {
        stats.mirrorFailed.increment();
        Log.once(Log.Level.INFO, "mirror-failed", "a mirrored request failed (the primary call is unaffected): " + e);
      }
    }
  }

  private static void send(Copy c) throws Exception {
    try (Socket s = new Socket()) {
      s.connect(c.to, TIMEOUT_MILLIS);
      s.setSoTimeout(TIMEOUT_MILLIS);
      OutputStream out = new BufferedOutputStream(s.getOutputStream());
      MirrorRequest r = c.request;
      StringBuilder h = new StringBuilder();
      h.append(r.method()).append(' ').append(r.path()).append(" HTTP/1.1\r\n");
      h.append("Host: ").append(c.authority).append("\r\n");
      for (Map.Entry<String, List<String>> e : r.headers().entrySet()) {
        String n = e.getKey();
        if (n == null || n.isEmpty() || n.indexOf(' ') >= 0 || n.indexOf(':') >= 0 // a request line kept as a key
            || n.equalsIgnoreCase("host") || n.equalsIgnoreCase("content-length")
            || n.equalsIgnoreCase("transfer-encoding") || n.equalsIgnoreCase("connection")) {
          continue;
        }
        for (String v : e.getValue()) {
          if (v != null) {
            h.append(n).append(": ").append(v).append("\r\n");
          }
        }
      }
      byte[] body = r.body() == null ? new byte[0] : r.body();
      if (body.length > 0 || !r.method().equals("GET")) {
        h.append("Content-Length: ").append(body.length).append("\r\n");
      }
      h.append("Connection: close\r\n\r\n");
      out.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.write(body);
      out.flush();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[512];
      in.read(buf); // the status line; the copy's response is discarded, as Envoy does
    }
  }
}
