package io.inmesh.control.token;

import java.time.Instant;

/**
 * What a verified join token says: the one identity (namespace and service account) it lets any
 * number of replicas obtain until it expires or is revoked.
 *
 * @param id the handle {@code token revoke} takes (the token itself works too)
 */
public record JoinToken(String id, String namespace, String serviceAccount, Instant expires) {}
