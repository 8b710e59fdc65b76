package io.inmesh.bench.load;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A minimal HTTP/1.1 keep-alive client on one socket, for the load generator: it writes a
 * pre-encoded GET and reads the response (Content-Length or chunked), discarding the body. Kept
 * this small so that the generator's own cost stays low and the same for every mode; reconnects
 * when the server closes.
 */
public final class HttpConnection implements AutoCloseable {
  private final InetSocketAddress target;
  private final InetAddress localAddress;
  private final int timeoutMillis;
  private final byte[] request;
  private Socket socket;
  private InputStream in;
  private OutputStream out;
  private final byte[] line = new byte[8192];

  public HttpConnection(String host, int port, String path, InetAddress localAddress, int timeoutMillis) {
    this.target = new InetSocketAddress(host, port);
    this.localAddress = localAddress;
    this.timeoutMillis = timeoutMillis;
    this.request = ("GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nUser-Agent: inmesh-bench\r\nAccept: */*\r\n\r\n")
        .getBytes(StandardCharsets.ISO_8859_1);
  }

  /** One GET; returns the status code. Throws on I/O errors (and then closes the connection). */
  public int get() throws IOException {
    if (socket == null) {
      connect();
    }
    try {
      out.write(request);
      out.flush();
      return readResponse();
    } catch (IOException e) {
      close();
      throw e;
    }
  }

  private void connect() throws IOException {
    Socket s = new Socket();
    try {
      s.setTcpNoDelay(true);
      s.setSoTimeout(timeoutMillis);
      if (localAddress != null) {
        s.bind(new InetSocketAddress(localAddress, 0));
      }
      s.connect(target, timeoutMillis);
    } catch (IOException e) {
      s.close();
      throw e;
    }
    socket = s;
    in = new BufferedInputStream(s.getInputStream(), 16384);
    out = s.getOutputStream();
  }

  private int readResponse() throws IOException {
    int n = readLine();
    int status = ResponseHead.parseStatus(line, n);
    long contentLength = -1;
    boolean chunked = false;
    boolean close = false;
    while ((n = readLine()) > 0) {
      String header = new String(line, 0, n, StandardCharsets.ISO_8859_1);
      int colon = header.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String name = header.substring(0, colon).trim();
      String value = header.substring(colon + 1).trim();
      if (name.equalsIgnoreCase("Content-Length")) {
        contentLength = Long.parseLong(value);
      } else if (name.equalsIgnoreCase("Transfer-Encoding") && value.toLowerCase().contains("chunked")) {
        chunked = true;
      } else if (name.equalsIgnoreCase("Connection") && value.equalsIgnoreCase("close")) {
        close = true;
      }
    }
    if (chunked) {
      while (true) {
        int len = readLine();
        long size = ResponseHead.parseChunkSize(line, len);
        if (size == 0) {
          while (readLine() > 0) {
            // trailers
          }
          break;
        }
        skip(size);
        readLine();
      }
    } else if (contentLength > 0) {
      skip(contentLength);
    } else if (contentLength < 0 && status != 204 && status != 304) {
      // no length: the body runs to the end of the connection
      while (in.read(line) >= 0) {
        // discard
      }
      close = true;
    }
    if (close) {
      close();
    }
    return status;
  }

  /** Reads one line without its CR LF into {@link #line}; returns its length. */
  private int readLine() throws IOException {
    int n = 0;
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed by " + target);
      }
      if (b == '\n') {
        return n > 0 && line[n - 1] == '\r' ? n - 1 : n;
      }
      if (n < line.length) {
        line[n++] = (byte) b;
      }
    }
  }

  private void skip(long n) throws IOException {
    while (n > 0) {
      int r = in.read(line, 0, (int) Math.min(line.length, n));
      if (r < 0) {
        throw new EOFException("connection closed by " + target + " inside a body");
      }
      n -= r;
    }
  }

  @Override
  public void close() {
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // closing
      }
      socket = null;
    }
  }
}
