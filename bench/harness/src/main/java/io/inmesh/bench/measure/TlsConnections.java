package io.inmesh.bench.measure;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How many TLS connections the server side of an mTLS hop has accepted so far, so that a round can
 * report handshakes per second beside its latency and CPU (issue 11: "the report shows handshakes
 * per second separately"): with keep-alive on both designs, steady-state figures are per-request
 * costs, and this says how many handshakes they contain. -1 when the mode has no such counter.
 */
public interface TlsConnections {
  long count();

  TlsConnections NONE = () -> -1;

  /** The backend's agent: TLS connections its server adapters accepted ({@code /config_dump} stats.security.tls.inboundConnections). */
  static TlsConnections inmeshServer(String adminAddress) {
    Pattern p = Pattern.compile("\"inboundConnections\"\\s*:\\s*(\\d+)");
    return () -> {
      Http.Response r = Http.get("http://" + adminAddress + ":15000/config_dump");
      Matcher m = p.matcher(r.status() == 200 ? r.body() : "");
      return m.find() ? Long.parseLong(m.group(1)) : -1;
    };
  }

  /** The inbound HAProxy: {@code CumSslConns} of {@code show info} on its stats socket. */
  static TlsConnections haproxy(Path statsSocket) {
    Pattern p = Pattern.compile("(?m)^CumSslConns:\\s*(\\d+)");
    return () -> {
      try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        ch.connect(UnixDomainSocketAddress.of(statsSocket));
        ch.write(ByteBuffer.wrap("show info\n".getBytes(StandardCharsets.US_ASCII)));
        ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
        while (buf.hasRemaining() && ch.read(buf) > 0) {
          // HAProxy closes the socket after answering one command
        }
        Matcher m = p.matcher(new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII));
        return m.find() ? Long.parseLong(m.group(1)) : -1;
      } catch (IOException e) {
        return -1;
      }
    };
  }
}
