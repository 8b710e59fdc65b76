package io.inmesh.agent.upstream;

import io.inmesh.policy.model.LoadBalancerSettings.ConsistentHash;
import java.net.InetSocketAddress;

/**
 * One addresses array of a snapshot resolved to the cluster's endpoint states, so a pick indexes
 * an array instead of looking every address up. Rebuilt only when the cluster is called with
 * different addresses; the states themselves are shared across rebuilds.
 */
final class EndpointSet {
  final InetSocketAddress[] addresses;
  final EndpointState[] states;
  private volatile ConsistentHashTable hashTable;

  EndpointSet(InetSocketAddress[] addresses, EndpointState[] states) {
    this.addresses = addresses;
    this.states = states;
  }

  /** The same states for an equal array from a newer snapshot. */
  EndpointSet withAddresses(InetSocketAddress[] sameContent) {
    EndpointSet s = new EndpointSet(sameContent, states);
    s.hashTable = hashTable;
    return s;
  }

  /** The ring or Maglev table for {@code hash}, built on first use and kept while the policy agrees. */
  ConsistentHashTable hashTable(ConsistentHash hash) {
    long size = hash.size() > 0 ? hash.size() : hash.maglev() ? 65537 : 1024;
    ConsistentHashTable t = hashTable;
    if (t != null && t.maglev() == hash.maglev() && t.size() == size) {
      return t;
    }
    String[] keys = new String[states.length];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = states[i].hashKey;
    }
    t = hash.maglev() ? new MaglevTable(keys, size) : new RingHashTable(keys, size);
    hashTable = t;
    return t;
  }
}
