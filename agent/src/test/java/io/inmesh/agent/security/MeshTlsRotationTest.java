package io.inmesh.agent.security;

import static io.inmesh.agent.security.MeshTlsTest.TD;
import static io.inmesh.agent.security.MeshTlsTest.ca;
import static io.inmesh.agent.security.MeshTlsTest.workload;
import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.agent.security.MeshTlsTest.Ca;
import io.inmesh.bootstrap.UpstreamTls;
import io.inmesh.policy.identity.WorkloadCertificate;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

/**
 * Rotation (issue 11, "TLS done well"): sessions resume between renewals, and after a renewal on
 * either side ({@link MeshTls#rotate()}) the next connection is a full handshake with the new
 * certificate instead of resuming a session of the old one. Real TLS over loopback 127.0.35.50, one
 * port, the server taking each connection's context as an adapter does.
 */
class MeshTlsRotationTest {

  /** A server that layers TLS over each accepted socket with the context current at that moment. */
  static final class Server implements AutoCloseable {
    final ServerSocket socket;
    final MeshTls tls;

    Server(MeshTls tls) throws IOException {
      this.tls = tls;
      socket = new ServerSocket(0, 8, InetAddress.getByName("127.0.35.50"));
    }

    /** The serial of the client certificate the next connection presented (the session's, when resumed). */
    CompletableFuture<String> acceptOne() {
      return CompletableFuture.supplyAsync(() -> {
        try (Socket plain = socket.accept();
            SSLSocket s = (SSLSocket) tls.serverContext().getSocketFactory().createSocket(plain, null, plain.getPort(), true)) {
          s.setUseClientMode(false);
          s.setNeedClientAuth(true);
          s.setEnabledProtocols(MeshTls.PROTOCOLS);
          s.setSoTimeout(10_000);
          tls.stats().inboundConnections.increment(); // as configureInboundEngine counts for the server adapters
          s.startHandshake();
          X509Certificate peer = (X509Certificate) s.getSession().getPeerCertificates()[0];
          s.getOutputStream().write(1);
          s.getOutputStream().flush();
          return peer.getSerialNumber().toString(16);
        } catch (Exception e) {
          return "refused: " + e;
        }
      });
    }

    InetSocketAddress address() {
      return new InetSocketAddress(socket.getInetAddress(), socket.getLocalPort());
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  record Seen(String serverSerial, String clientSerial) {}

  static Seen connect(Server server, UpstreamTls client) throws Exception {
    CompletableFuture<String> seen = server.acceptOne();
    X509Certificate presented = MeshTlsTest.connect(client, server.address());
    return new Seen(presented.getSerialNumber().toString(16), seen.get(20, TimeUnit.SECONDS));
  }

  static String serial(WorkloadCertificate c) {
    return c.leaf().getSerialNumber().toString(16);
  }

  @Test
  void sessionsResumeBetweenRenewalsAndARenewalOnEitherSideMakesTheNextConnectionAFullHandshake() throws Exception {
    Ca mesh = ca("mesh");
    AtomicReference<WorkloadCertificate> a = new AtomicReference<>(workload(mesh, "a"));
    AtomicReference<WorkloadCertificate> b = new AtomicReference<>(workload(mesh, "b"));
    MeshTls clientTls = new MeshTls(a::get, () -> List.of(mesh.cert()));
    MeshTls serverTls = new MeshTls(b::get, () -> List.of(mesh.cert()));
    UpstreamTls client = clientTls.client(Set.of(TD + "b"));
    try (Server server = new Server(serverTls)) {
      Seen first = connect(server, client);
      assertThat(first).isEqualTo(new Seen(serial(b.get()), serial(a.get())));
      Seen second = connect(server, client);
      assertThat(second).isEqualTo(first);
      assertThat(serverTls.stats().inboundFullHandshakes.sum()).as("the reconnect resumed: no certificate verified").isEqualTo(1);
      assertThat(clientTls.stats().outboundFullHandshakes.sum()).isEqualTo(1);

      // the server renews: the client still holds a session, but the server's fresh context cannot resume it
      b.set(workload(mesh, "b"));
      serverTls.rotate();
      Seen afterServerRenewal = connect(server, client);
      assertThat(afterServerRenewal.serverSerial()).isEqualTo(serial(b.get())).isNotEqualTo(first.serverSerial());
      assertThat(serverTls.stats().inboundFullHandshakes.sum()).isEqualTo(2);

      // the client renews: its fresh context has no session, so it presents the new certificate
      a.set(workload(mesh, "a"));
      clientTls.rotate();
      Seen afterClientRenewal = connect(server, client);
      assertThat(afterClientRenewal.clientSerial()).isEqualTo(serial(a.get())).isNotEqualTo(first.clientSerial());
      Seen resumedAgain = connect(server, client);
      assertThat(resumedAgain).isEqualTo(afterClientRenewal);

      Map<String, Object> server1 = serverTls.stats().describe();
      assertThat(server1.get("inboundConnections")).isEqualTo(5L);
      assertThat(server1.get("inboundFullHandshakes")).isEqualTo(3L);
      assertThat(server1.get("inboundResumed")).isEqualTo(2L);
      assertThat(server1.get("fullHandshakeProtocols")).isEqualTo(Map.of("TLSv1.3", 3L));
      assertThat(server1.get("peerSerials")).isEqualTo(Map.of(TD + "a", List.of(first.clientSerial(), afterClientRenewal.clientSerial())));
      assertThat(clientTls.stats().describe().get("peerSerials"))
          .isEqualTo(Map.of(TD + "b", List.of(first.serverSerial(), afterServerRenewal.serverSerial())));
      assertThat(serverTls.stats().describe().get("presentedSerials")).isEqualTo(List.of(first.serverSerial(), afterServerRenewal.serverSerial()));
    }
  }

  @Test
  void aRotationWithNothingChangedKeepsTheContexts() throws Exception {
    Ca mesh = ca("mesh");
    WorkloadCertificate b = workload(mesh, "b");
    List<X509Certificate> roots = List.of(mesh.cert());
    MeshTls tls = new MeshTls(() -> b, () -> roots);
    tls.rotate();
    var context = tls.serverContext();
    tls.rotate();
    assertThat(tls.serverContext()).isSameAs(context);
    assertThat(tls.stats().rotations.sum()).isEqualTo(1);
  }
}
