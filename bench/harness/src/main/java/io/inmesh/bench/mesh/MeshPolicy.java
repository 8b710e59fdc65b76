package io.inmesh.bench.mesh;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The Istio policy the inmesh modes run: one VirtualService that routes the backend's mesh name to
 * the service (a plain route, no subsets). Edit {@code n > 0} adds a header-matched rule ahead of
 * it (same destination), so each edit is a real change of the route table without changing where
 * ordinary calls go.
 */
public final class MeshPolicy {
  public static final String BACKEND_SERVICE = "backend-service";
  public static final String FRONTEND_SERVICE = "frontend-service";
  public static final String FILE_NAME = "backend-service.yaml";

  private MeshPolicy() {}

  public static String virtualService(int edit) {
    StringBuilder y = new StringBuilder();
    y.append("apiVersion: networking.istio.io/v1\n");
    y.append("kind: VirtualService\n");
    y.append("metadata:\n  name: backend-service-routing\n");
    y.append("spec:\n  hosts: [backend-service]\n  http:\n");
    if (edit > 0) {
      y.append("  - match:\n    - headers:\n        x-bench-edit:\n          exact: \"").append(edit).append("\"\n");
      y.append("    route:\n    - destination: {host: backend-service}\n");
    }
    y.append("  - route:\n    - destination: {host: backend-service}\n");
    return y.toString();
  }

  /** The VirtualService a mode's control plane serves: the plain route, or the one with a retry policy for inmesh-retry. */
  public static String routeFor(io.inmesh.bench.mode.Mode mode) {
    return mode == io.inmesh.bench.mode.Mode.INMESH_RETRY ? retryingRoute() : virtualService(0);
  }

  /**
   * The plain route with a timeout and a retry policy (issue 7: "bench/run reports the mesh's own
   * cost with such a route in place"): configured, never triggered, since the backend answers 200.
   */
  public static String retryingRoute() {
    return "apiVersion: networking.istio.io/v1\n"
        + "kind: VirtualService\n"
        + "metadata:\n  name: backend-service-routing\n"
        + "spec:\n  hosts: [backend-service]\n  http:\n"
        + "  - timeout: 2s\n"
        + "    retries: {attempts: 3, perTryTimeout: 500ms, retryOn: \"5xx,reset,connect-failure\"}\n"
        + "    route:\n    - destination: {host: backend-service}\n";
  }

  /** File of the PeerAuthentication the inmesh-mtls mode runs. */
  public static final String PEER_AUTHENTICATION_FILE_NAME = "peer-authentication.yaml";

  /**
   * The backend workload STRICT (https://istio.io/latest/docs/reference/config/security/peer_authentication/):
   * a workload selector, so the frontend, which the load generator calls from outside the mesh,
   * keeps the mesh default PERMISSIVE, as an edge service would.
   */
  public static String backendStrict() {
    return """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata:
          name: backend-service-strict
          namespace: default
        spec:
          selector:
            matchLabels:
              app: backend-service
          mtls:
            mode: STRICT
        """;
  }

  /** Policy files beside the route for {@code mode}. */
  public static java.util.Map<String, String> otherFilesFor(io.inmesh.bench.mode.Mode mode) {
    return mode.meshTls() ? java.util.Map.of(PEER_AUTHENTICATION_FILE_NAME, backendStrict()) : java.util.Map.of();
  }

  /** File of the DestinationRule the route-propagation probe uses. */
  public static final String SUBSETS_FILE_NAME = "backend-service-subsets.yaml";

  /** Subsets v1 and v2 of the backend service, selected by the {@code version} label. */
  public static String subsets() {
    return """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: backend-service-subsets
        spec:
          host: backend-service
          subsets:
          - name: v1
            labels: {version: v1}
          - name: v2
            labels: {version: v2}
        """;
  }

  /** Every call to the backend service goes to {@code subset} (the route a propagation edit flips). */
  public static String routeToSubset(String subset) {
    return "apiVersion: networking.istio.io/v1\n"
        + "kind: VirtualService\n"
        + "metadata:\n  name: backend-service-routing\n"
        + "spec:\n  hosts: [backend-service]\n  http:\n"
        + "  - route:\n    - destination: {host: backend-service, subset: " + subset + "}\n";
  }

  /** Writes the file the way an editor or a ConfigMap update does: a sibling, then an atomic rename. */
  public static void writeAtomically(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}
