package io.inmesh.instrumentation.okhttp;

/**
 * Tag on an attempt's request: the endpoint it was sent to. OkHttp copies tags into the requests
 * it makes itself for the same call (redirects, authentication), which is how
 * {@link FollowUpHostInterceptor} tells them apart.
 */
final class AttemptTarget {
  final String host;
  final int port;

  AttemptTarget(String host, int port) {
    this.host = host;
    this.port = port;
  }
}
