package io.inmesh.policy.model;

/** PeerAuthentication.MutualTLS.Mode; UNSET inherits from the parent, PERMISSIVE at the top. */
public enum MtlsMode {
  UNSET,
  DISABLE,
  PERMISSIVE,
  STRICT
}
