package io.inmesh.policy.model;

/** Names a resource the way findings and logs show it: {@code VirtualService default/reviews}. */
public record ResourceRef(String kind, String namespace, String name) {
  @Override
  public String toString() {
    return kind + " " + namespace + "/" + name;
  }
}
