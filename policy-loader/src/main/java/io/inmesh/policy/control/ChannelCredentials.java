package io.inmesh.policy.control;

import javax.net.ssl.SSLSocketFactory;

/**
 * How the agent's calls to the control plane prove themselves and check the other end: TLS for an
 * {@code https://} control URL (verifying the control plane, presenting the workload certificate),
 * and the join token as a bearer credential until the first certificate exists.
 */
public interface ChannelCredentials {

  /** No TLS, no credential: the plain loopback development setup. */
  ChannelCredentials NONE =
      new ChannelCredentials() {
        @Override
        public SSLSocketFactory tls() {
          return null;
        }

        @Override
        public String authorization() {
          return null;
        }
      };

  /** The socket factory for {@code https://}; null when the agent cannot verify a control plane. */
  SSLSocketFactory tls();

  /** The {@code Authorization} header value, or null. */
  String authorization();

  /** The service account the proved identity names, which the registration must carry; null: the configured one. */
  default String serviceAccount() {
    return null;
  }

  /** When the workload certificate expires (ISO-8601), for {@code /v1/agents}; null without one. */
  default String certificateExpires() {
    return null;
  }
}
