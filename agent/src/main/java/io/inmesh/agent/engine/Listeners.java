package io.inmesh.agent.engine;

import io.inmesh.policy.control.LocalEndpoint;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The application's listeners as server adapters report them, turned into this workload's
 * endpoint: one address and every listening port (the first is the primary port). An application
 * bound to a wildcard address registers {@code INMESH_ENDPOINT_ADDRESS}, else the host's first
 * non-loopback address.
 */
public final class Listeners implements LocalEndpoint {
  private final String configuredAddress;
  private String address;
  private final List<Integer> ports = new ArrayList<>();

  public Listeners(String configuredAddress) {
    this.configuredAddress = configuredAddress;
  }

  /** Returns true when the endpoint changed. */
  public synchronized boolean started(InetSocketAddress bound) {
    if (bound == null || bound.getPort() <= 0) {
      return false;
    }
    String a = addressFor(bound);
    boolean changed = false;
    if (address == null) {
      address = a;
      changed = true;
    }
    if (!ports.contains(bound.getPort())) {
      ports.add(bound.getPort());
      changed = true;
    }
    return changed;
  }

  public synchronized boolean stopped(InetSocketAddress bound) {
    if (bound == null) {
      return false;
    }
    boolean changed = ports.remove(Integer.valueOf(bound.getPort()));
    if (ports.isEmpty()) {
      address = null;
    }
    return changed;
  }

  @Override
  public synchronized String address() {
    return address;
  }

  @Override
  public synchronized List<Integer> ports() {
    return Collections.unmodifiableList(new ArrayList<>(ports));
  }

  private String addressFor(InetSocketAddress bound) {
    InetAddress a = bound.getAddress();
    if (a != null && !a.isAnyLocalAddress()) {
      return a.getHostAddress();
    }
    if (configuredAddress != null) {
      return configuredAddress;
    }
    return firstNonLoopbackAddress();
  }

  /** The host's first non-loopback IPv4 address (then IPv6); 127.0.0.1 when it has none. */
  static String firstNonLoopbackAddress() {
    String v6 = null;
    try {
      List<NetworkInterface> nics = Collections.list(NetworkInterface.getNetworkInterfaces());
      nics.sort((x, y) -> Integer.compare(x.getIndex(), y.getIndex()));
      for (NetworkInterface nic : nics) {
        if (!nic.isUp() || nic.isLoopback() || nic.isVirtual()) {
          continue;
        }
        for (InetAddress a : Collections.list(nic.getInetAddresses())) {
          if (a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isAnyLocalAddress()) {
            continue;
          }
          if (a instanceof Inet4Address) {
            return a.getHostAddress();
          }
          if (v6 == null) {
            v6 = a.getHostAddress();
          }
        }
      }
    } catch (SocketException | RuntimeException ignored) {
      // fall through
    }
    return v6 != null ? v6 : "127.0.0.1";
  }
}
