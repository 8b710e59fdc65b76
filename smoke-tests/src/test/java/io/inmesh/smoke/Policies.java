package io.inmesh.smoke;

/** The policy documents the scenarios write into the watched folder. */
public final class Policies {
  private Policies() {}

  /** The seed's canary rule, verbatim (no spec.hosts; lone destinations with weights 10/90). */
  public static final String SEED_CANARY =
      """
      apiVersion: networking.istio.io/v1beta1
      kind: VirtualService
      metadata:
        name: usuario-service-routing
      spec:
        http:
        - match:
          - headers:
              x-canary:
                exact: "true"
          route:
          - destination:
              host: usuario-service
              subset: v2  # 10% del tráfico a v2
            weight: 10
        - route:
          - destination:
              host: usuario-service
              subset: v1  # 90% del tráfico a v1
            weight: 90
      """;

  public static final String SUBSETS =
      """
      apiVersion: networking.istio.io/v1beta1
      kind: DestinationRule
      metadata:
        name: usuario-service-subsets
      spec:
        host: usuario-service
        subsets:
        - name: v1
          labels:
            version: v1
        - name: v2
          labels:
            version: v2
        - name: v3
          labels:
            version: v3
      """;

  /** Canary header to v2, x-canary: v3 to a subset without endpoints, the rest split v1/v2. */
  static String split(int v1, int v2) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: usuario-service-routing
        spec:
          hosts: [usuario-service]
          http:
          - match:
            - headers:
                x-canary:
                  exact: "true"
            route:
            - destination: {host: usuario-service, subset: v2}
          - match:
            - headers:
                x-canary:
                  exact: "v3"
            route:
            - destination: {host: usuario-service, subset: v3}
          - route:
            - destination: {host: usuario-service, subset: v1}
              weight: %d
            - destination: {host: usuario-service, subset: v2}
              weight: %d
        """
        .formatted(v1, v2);
  }
}
