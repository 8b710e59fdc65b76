import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Sequential keep-alive HTTP/1.1 GETs from a chosen local address, bounded in count and time:
 * {@code java SeqLoad.java LOCAL HOST PORT PATH MAX_REQUESTS MAX_SECONDS}. Prints "requests N ok M".
 * A single-file program (no build) so bench/lean/measure can run it beside any build of the jars.
 */
public final class SeqLoad {
  public static void main(String[] a) throws Exception {
    String local = a[0], host = a[1], path = a[3];
    int port = Integer.parseInt(a[2]);
    long max = Long.parseLong(a[4]);
    long deadline = System.nanoTime() + (long) (Double.parseDouble(a[5]) * 1e9);
    byte[] req = ("GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    long n = 0, ok = 0;
    Socket s = null;
    InputStream in = null;
    OutputStream out = null;
    while (n < max && System.nanoTime() < deadline) {
      try {
        if (s == null) {
          s = new Socket();
          s.setTcpNoDelay(true);
          s.setSoTimeout(10_000);
          s.bind(new InetSocketAddress(local, 0));
          s.connect(new InetSocketAddress(host, port), 3_000);
          in = new BufferedInputStream(s.getInputStream());
          out = s.getOutputStream();
        }
        out.write(req);
        out.flush();
        int status = readResponse(in);
        n++;
        if (status == 200) ok++;
      } catch (IOException e) {
        n++;
        if (s != null) s.close();
        s = null;
        Thread.sleep(20);
      }
    }
    if (s != null) s.close();
    System.out.println("requests " + n + " ok " + ok);
  }

  /** Reads one response (status line, headers, Content-Length or chunked body); returns its status. */
  private static int readResponse(InputStream in) throws IOException {
    String status = line(in);
    int code = Integer.parseInt(status.split(" ")[1]);
    long len = -1;
    boolean chunked = false;
    for (String h = line(in); !h.isEmpty(); h = line(in)) {
      String l = h.toLowerCase();
      if (l.startsWith("content-length:")) len = Long.parseLong(l.substring(15).trim());
      if (l.startsWith("transfer-encoding:") && l.contains("chunked")) chunked = true;
    }
    if (chunked) {
      for (long c = Long.parseLong(line(in).trim(), 16); c > 0; c = Long.parseLong(line(in).trim(), 16)) {
        skip(in, c);
        line(in);
      }
      line(in);
    } else if (len > 0) {
      skip(in, len);
    }
    return code;
  }

  private static void skip(InputStream in, long n) throws IOException {
    for (long i = 0; i < n; i++) if (in.read() < 0) throw new IOException("eof");
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) throw new IOException("eof");
      if (c != '\r') b.append((char) c);
    }
    return b.toString();
  }
}
