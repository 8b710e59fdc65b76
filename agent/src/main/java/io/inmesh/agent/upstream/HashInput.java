package io.inmesh.agent.upstream;

/**
 * What a consistent-hash balancer may hash, read from the request being sent. Each method returns
 * null when the request has no such value; the balancer then picks at random, as Envoy does when a
 * hash policy produces no hash.
 */
public interface HashInput {
  /** The first value of request header {@code name} (case-insensitive). */
  String header(String name);

  /** The value of cookie {@code name} in the request's Cookie header. */
  String cookie(String name);

  /** The first value of query parameter {@code name} (still URL-encoded is fine: it is only hashed). */
  String queryParameter(String name);

  /** The calling workload's IP address as text (the application's own address). */
  String sourceIp();

  /** For calls with nothing to hash. */
  HashInput NONE =
      new HashInput() {
        @Override
        public String header(String name) {
          return null;
        }

        @Override
        public String cookie(String name) {
          return null;
        }

        @Override
        public String queryParameter(String name) {
          return null;
        }

        @Override
        public String sourceIp() {
          return null;
        }
      };
}
