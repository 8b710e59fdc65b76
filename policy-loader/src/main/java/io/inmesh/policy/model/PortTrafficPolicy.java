package io.inmesh.policy.model;

/** Istio TrafficPolicy.PortTrafficPolicy: settings for one destination port (they do not inherit). */
public record PortTrafficPolicy(
    int port,
    LoadBalancerSettings loadBalancer,
    ConnectionPoolSettings connectionPool,
    OutlierDetection outlierDetection,
    ClientTlsSettings tls) {}
