package io.inmesh.instrumentation.okhttp;

/**
 * Tag on an attempt's request: the endpoint it was sent to, and for an mTLS attempt the mesh TLS it
 * must go out with. OkHttp copies tags into the requests it makes itself for the same call
 * (redirects, authentication), which is how {@link FollowUpHostInterceptor} tells them apart.
 */
final class AttemptTarget {
  final String host;
  final int port;
  /** Non-null when requests to this endpoint must go out over mesh mTLS. */
  final MeshTlsAddress.Kit kit;

  AttemptTarget(String host, int port, MeshTlsAddress.Kit kit) {
    this.host = host;
    this.port = port;
    this.kit = kit;
  }
}
