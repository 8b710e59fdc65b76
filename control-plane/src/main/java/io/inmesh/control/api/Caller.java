package io.inmesh.control.api;

import io.inmesh.policy.identity.SpiffeId;

/**
 * Who a request proved to be.
 *
 * @param identity the workload identity proved by a TLS client certificate or a join token; null when none
 * @param proof {@code "certificate"}, {@code "token"} or null
 * @param tokenId the join token's id when the proof is a token
 * @param admin the request carried the data directory's admin credential
 */
public record Caller(SpiffeId identity, String proof, String tokenId, boolean admin) {
  public static final Caller ANONYMOUS = new Caller(null, null, null, false);
}
