package io.inmesh.bench.scale;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The simulated fleet's services and who calls whom: each service calls {@code calls} others,
 * chosen with a fixed seed so every run (and every size) is the same shape. The policy the
 * control plane serves is generated from it: a Sidecar per service whose egress hosts are exactly
 * the services it calls (how an Istio user scopes a workload), a VirtualService per service, and
 * one namespace-wide PeerAuthentication.
 */
final class CallGraph {

  static final String NAMESPACE = "default";

  final int services;
  final List<List<Integer>> callees = new ArrayList<>();
  final List<List<Integer>> callers = new ArrayList<>();

  CallGraph(int services, int calls) {
    if (services <= calls) {
      throw new IllegalArgumentException("need more services (" + services + ") than calls per service (" + calls + ")");
    }
    this.services = services;
    Random rnd = new Random(42);
    for (int i = 0; i < services; i++) {
      callers.add(new ArrayList<>());
    }
    for (int i = 0; i < services; i++) {
      Set<Integer> out = new LinkedHashSet<>();
      while (out.size() < calls) {
        int j = rnd.nextInt(services);
        if (j != i) {
          out.add(j);
        }
      }
      callees.add(List.copyOf(out));
      for (int j : out) {
        callers.get(j).add(i);
      }
    }
  }

  static String name(int service) {
    return "svc-" + service;
  }

  String sidecars() {
    StringBuilder y = new StringBuilder();
    for (int i = 0; i < services; i++) {
      y.append("---\napiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata:\n  name: ")
          .append(name(i)).append("\n  namespace: ").append(NAMESPACE)
          .append("\nspec:\n  workloadSelector:\n    labels:\n      app: ").append(name(i))
          .append("\n  egress:\n  - hosts:\n");
      for (int j : callees.get(i)) {
        y.append("    - \"./").append(name(j)).append("\"\n");
      }
    }
    return y.toString();
  }

  /** A VirtualService per service; {@code marked} gets a request header carrying {@code marker}. */
  String routes(int marked, String marker) {
    StringBuilder y = new StringBuilder();
    for (int i = 0; i < services; i++) {
      y.append("---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: ")
          .append(name(i)).append("\n  namespace: ").append(NAMESPACE)
          .append("\nspec:\n  hosts:\n  - ").append(name(i))
          .append("\n  http:\n  - route:\n    - destination:\n        host: ").append(name(i)).append('\n');
      if (i == marked) {
        y.append("      headers:\n        request:\n          set:\n            x-scale-edit: \"").append(marker).append("\"\n");
      }
    }
    return y.toString();
  }

  /** The namespace-wide PeerAuthentication: every workload's view carries it. */
  static String peerAuthentication(String marker) {
    return "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: default\n  namespace: "
        + NAMESPACE + "\n  annotations:\n    inmesh.dev/scale-edit: \"" + marker + "\"\nspec:\n  mtls:\n    mode: PERMISSIVE\n";
  }
}
