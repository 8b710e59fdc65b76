package io.inmesh.bootstrap;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Carries an {@link OutboundCall} inside a library object that has a slot of type
 * {@link InetSocketAddress} the library does not use for the calls inmesh routes. The JDK's
 * {@code HttpRequestImpl.authority} is such a slot: it is read only for CONNECT requests and
 * requests without a URI, neither of which inmesh routes. Carrying the decision on the request
 * itself costs nothing per call, unlike a side table keyed by the request.
 */
public final class CarriedCall extends InetSocketAddress {
  private static final long serialVersionUID = 1L;

  private final transient OutboundCall call;

  public CarriedCall(OutboundCall call) {
    super(InetAddress.getLoopbackAddress(), 0);
    this.call = call;
  }

  public OutboundCall call() {
    return call;
  }
}
