package io.inmesh.control;

/** The Istio seed canary (header x-canary: "true" → v2, everyone else → v1) and variants of it. */
final class SamplePolicies {

  private SamplePolicies() {}

  static final String CANARY =
      """
      apiVersion: networking.istio.io/v1beta1
      kind: VirtualService
      metadata:
        name: usuario-service-routing
      spec:
        hosts:
        - usuario-service
        http:
        - match:
          - headers:
              x-canary:
                exact: "true"
          route:
          - destination:
              host: usuario-service
              subset: v2
        - route:
          - destination:
              host: usuario-service
              subset: v1
      ---
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
      """;

  /** The canary with 20% of everyone else also sent to v2: a real edit of the same file. */
  static final String CANARY_EDITED =
      """
      apiVersion: networking.istio.io/v1beta1
      kind: VirtualService
      metadata:
        name: usuario-service-routing
      spec:
        hosts:
        - usuario-service
        http:
        - match:
          - headers:
              x-canary:
                exact: "true"
          route:
          - destination:
              host: usuario-service
              subset: v2
        - route:
          - destination:
              host: usuario-service
              subset: v1
            weight: 80
          - destination:
              host: usuario-service
              subset: v2
            weight: 20
      ---
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
      """;

  /** Line 12 has the error: a weight that is not a number. */
  static final String CANARY_BROKEN =
      """
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata:
        name: usuario-service-routing
      spec:
        hosts: [usuario-service]
        http:
        - route:
          - destination: {host: usuario-service, subset: v1}
            weight: 50
          - destination: {host: usuario-service, subset: v2}
            weight: "a lot"
      """;

  static final String PEDIDO =
      """
      apiVersion: networking.istio.io/v1
      kind: DestinationRule
      metadata:
        name: pedido-service
      spec:
        host: pedido-service
        subsets:
        - name: v1
          labels:
            version: v1
      """;
}
