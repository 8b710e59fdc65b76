package io.inmesh.policy.compile;

/** A mesh service: name and namespace, as Kubernetes names a Service. */
public record ServiceKey(String name, String namespace) {
  public static final String CLUSTER_DOMAIN = "cluster.local";

  /** {@code name.namespace.svc.cluster.local}. */
  public String fqdn() {
    return name + "." + namespace + ".svc." + CLUSTER_DOMAIN;
  }

  @Override
  public String toString() {
    return name + "." + namespace;
  }
}
