package io.inmesh.policy.model;

/** A validated Istio (or inmesh) resource, immutable. */
public sealed interface PolicyResource
    permits VirtualService,
        DestinationRule,
        ServiceEntry,
        PeerAuthentication,
        AuthorizationPolicy,
        MeshConfig,
        OtherResource {
  ResourceRef ref();

  /** The file it came from (for messages and conflict resolution); may be null. */
  String file();

  default String namespace() {
    return ref().namespace();
  }
}
