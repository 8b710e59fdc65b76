package io.inmesh.bench.load;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * Light load: one connection, one request at a time, each sent as soon as the previous answered.
 * Bounded by a request count and a duration, whichever comes first.
 */
public final class SequentialProbe {
  private final String host;
  private final int port;
  private final String path;
  private final InetAddress localAddress;

  public SequentialProbe(String host, int port, String path, InetAddress localAddress) {
    this.host = host;
    this.port = port;
    this.path = path;
    this.localAddress = localAddress;
  }

  public LoadResult run(double seconds, long maxRequests) {
    Histogram h = LoadResult.newHistogram();
    long ok = 0;
    long non2xx = 0;
    long errors = 0;
    String firstError = null;
    long start = System.nanoTime();
    long end = start + (long) (seconds * 1e9);
    try (HttpConnection conn = new HttpConnection(host, port, path, localAddress, 5000)) {
      for (long i = 0; i < maxRequests && System.nanoTime() < end; i++) {
        long sent = System.nanoTime();
        try {
          int status = conn.get();
          LoadResult.record(h, System.nanoTime() - sent);
          if (status >= 200 && status < 300) {
            ok++;
          } else {
            non2xx++;
            firstError = firstError == null ? "HTTP " + status : firstError;
          }
        } catch (IOException e) {
          errors++;
          firstError = firstError == null ? e.toString() : firstError;
          if (errors > 100) {
            break;
          }
        }
      }
    }
    return new LoadResult(h, h, List.of(), ok, non2xx, errors, System.nanoTime() - start, firstError);
  }
}
