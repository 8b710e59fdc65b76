package io.inmesh.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.agent.engine.Listeners;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class ListenersTest {

  @Test
  void severalListenersArePortsOfOneEndpointAndTheFirstIsPrimary() throws Exception {
    Listeners l = new Listeners(null);
    assertThat(l.started(new InetSocketAddress(InetAddress.getByName("127.0.0.21"), 8080))).isTrue();
    assertThat(l.started(new InetSocketAddress(InetAddress.getByName("127.0.0.21"), 9090))).isTrue();
    assertThat(l.started(new InetSocketAddress(InetAddress.getByName("127.0.0.21"), 9090))).isFalse();
    assertThat(l.address()).isEqualTo("127.0.0.21");
    assertThat(l.ports()).containsExactly(8080, 9090);
    assertThat(l.stopped(new InetSocketAddress(InetAddress.getByName("127.0.0.21"), 8080))).isTrue();
    assertThat(l.ports()).containsExactly(9090);
  }

  @Test
  void aWildcardBindRegistersTheConfiguredAddressElseTheFirstNonLoopbackOne() throws Exception {
    Listeners configured = new Listeners("10.1.2.3");
    configured.started(new InetSocketAddress(8080));
    assertThat(configured.address()).isEqualTo("10.1.2.3");

    Listeners discovered = new Listeners(null);
    discovered.started(new InetSocketAddress(8080));
    InetAddress a = InetAddress.getByName(discovered.address());
    // a host with a network interface registers a routable address; a bare one falls back to loopback
    assertThat(a.isAnyLocalAddress()).isFalse();
    assertThat(a.isLoopbackAddress() ? discovered.address() : "routable").isIn("127.0.0.1", "routable");
  }
}
