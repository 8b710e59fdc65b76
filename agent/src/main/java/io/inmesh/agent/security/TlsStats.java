package io.inmesh.agent.security;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the agent's TLS did, for {@code :15000/stats} (section {@code security.tls}): connections and
 * full handshakes each way, the protocols full handshakes negotiated, the serials of the certificates
 * this workload presented and of those its peers presented, per peer identity (the last few of each:
 * a rotation shows as a new serial).
 *
 * <p>A full handshake is one where a certificate was verified (the trust manager ran); a TLS 1.3
 * connection that resumed a session exchanges no certificate. So connections minus full handshakes
 * minus rejected handshakes counts connections that resumed a session (or were given up before the
 * certificate exchange, which the mesh's own clients do not do).
 */
public final class TlsStats {
  static final int SERIALS_KEPT = 8;
  static final int PEERS_KEPT = 256;

  final LongAdder rotations = new LongAdder();
  final LongAdder inboundConnections = new LongAdder();
  final LongAdder inboundFullHandshakes = new LongAdder();
  final LongAdder inboundRejected = new LongAdder();
  final LongAdder outboundConnections = new LongAdder();
  final LongAdder outboundFullHandshakes = new LongAdder();
  final LongAdder outboundRejected = new LongAdder();
  private final Map<String, LongAdder> protocols = new ConcurrentHashMap<>();
  private final Map<String, List<String>> peerSerials = new ConcurrentHashMap<>();
  private final List<String> presented = new ArrayList<>();

  void fullHandshake(boolean inbound, String protocol, String peerId, X509Certificate leaf) {
    (inbound ? inboundFullHandshakes : outboundFullHandshakes).increment();
    protocols.computeIfAbsent(protocol == null ? "unknown" : protocol, p -> new LongAdder()).increment();
    if (peerId != null && leaf != null && (peerSerials.size() < PEERS_KEPT || peerSerials.containsKey(peerId))) {
      List<String> serials = peerSerials.computeIfAbsent(peerId, k -> new ArrayList<>());
      remember(serials, leaf.getSerialNumber().toString(16));
    }
  }

  void rejected(boolean inbound) {
    (inbound ? inboundRejected : outboundRejected).increment();
  }

  void presented(X509Certificate leaf) {
    if (leaf != null) {
      remember(presented, leaf.getSerialNumber().toString(16));
    }
  }

  private static void remember(List<String> serials, String serial) {
    synchronized (serials) {
      if (serials.isEmpty() || !serials.get(serials.size() - 1).equals(serial)) {
        serials.remove(serial);
        serials.add(serial);
        while (serials.size() > SERIALS_KEPT) {
          serials.remove(0);
        }
      }
    }
  }

  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("rotations", rotations.sum());
    long in = inboundConnections.sum();
    long inFull = inboundFullHandshakes.sum();
    long inRejected = inboundRejected.sum();
    m.put("inboundConnections", in);
    m.put("inboundFullHandshakes", inFull);
    m.put("inboundRejected", inRejected);
    m.put("inboundResumed", Math.max(0, in - inFull - inRejected));
    long out = outboundConnections.sum();
    long outFull = outboundFullHandshakes.sum();
    long outRejected = outboundRejected.sum();
    m.put("outboundConnections", out);
    m.put("outboundFullHandshakes", outFull);
    m.put("outboundRejected", outRejected);
    m.put("outboundResumed", Math.max(0, out - outFull - outRejected));
    Map<String, Long> p = new TreeMap<>();
    protocols.forEach((k, v) -> p.put(k, v.sum()));
    m.put("fullHandshakeProtocols", p);
    synchronized (presented) {
      m.put("presentedSerials", List.copyOf(presented));
    }
    Map<String, List<String>> peers = new TreeMap<>();
    peerSerials.forEach((k, v) -> {
      synchronized (v) {
        peers.put(k, List.copyOf(v));
      }
    });
    m.put("peerSerials", peers);
    return m;
  }
}
