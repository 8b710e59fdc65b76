package io.inmesh.policy.compile;

import java.util.Objects;

/**
 * A service: a Kubernetes-style {@code name.namespace}, or (namespace empty) a host declared by a
 * ServiceEntry such as {@code api.example.com}, which is a name of its own, not namespaced.
 */
public record ServiceKey(String name, String namespace) {
  public static final String CLUSTER_DOMAIN = "cluster.local";

  /** A ServiceEntry host outside the Kubernetes naming scheme. */
  public static ServiceKey external(String host) {
    return new ServiceKey(host, "");
  }

  public boolean isExternal() {
    return namespace.isEmpty();
  }

  /** {@code name.namespace.svc.cluster.local}, or the host itself for an external host. */
  public String fqdn() {
    return isExternal() ? name : name + "." + namespace + ".svc." + CLUSTER_DOMAIN;
  }

  // equals and hashCode written out: a record's generated ones link through invokedynamic
  // (ObjectMethods) at first use, spinning method-handle classes in every JVM the agent joins; this
  // record is the first map key the mesh uses (issue 13)
  @Override
  public boolean equals(Object o) {
    return o instanceof ServiceKey k && Objects.equals(name, k.name) && Objects.equals(namespace, k.namespace);
  }

  @Override
  public int hashCode() {
    return 31 * Objects.hashCode(name) + Objects.hashCode(namespace);
  }

  @Override
  public String toString() {
    return isExternal() ? name : name + "." + namespace;
  }
}
