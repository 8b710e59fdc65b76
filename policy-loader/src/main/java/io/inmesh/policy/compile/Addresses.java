package io.inmesh.policy.compile;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** IP literals to InetAddress without ever asking DNS (registered endpoints are IP addresses). */
final class Addresses {
  private Addresses() {}

  static InetAddress literal(String address) {
    if (address == null || address.isEmpty()) {
      return null;
    }
    String a = address.startsWith("[") && address.endsWith("]") ? address.substring(1, address.length() - 1) : address;
    if (!HostNames.isIpLiteral(a)) {
      try {
        // a hostname registered through INMESH_ENDPOINT_ADDRESS: resolved once, here, off the call path
        return InetAddress.getByName(a);
      } catch (UnknownHostException e) {
        return null;
      }
    }
    try {
      return InetAddress.getByName(a); // a literal: parsed, no lookup
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
