package io.inmesh.bench.mode;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.bench.mesh.MeshPolicy;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RetryModeTest {

  @Test
  void theRetryPolicyModeIsAnInmeshModeOnASlotOfItsOwnServingARouteWithRetriesAndATimeout() {
    Mode m = Mode.byId("inmesh-retry");
    assertThat(m.meshed()).isTrue();
    assertThat(m.skipReason).isNull();
    // slots 8 and 11 belong to the start-up probes and the route-propagation rig
    Set<Integer> slots = new HashSet<>(Set.of(8, 11));
    for (Mode other : Mode.values()) {
      assertThat(slots.add(other.slot)).as(other.id + "'s slot " + other.slot).isTrue();
      assertThat(Topology.of(other).at(9)).as(other.id).matches("127\\.0\\.100\\.\\d{1,3}").satisfies(a -> assertThat(Integer.parseInt(a.substring(10))).isLessThan(255));
    }
    String route = MeshPolicy.routeFor(m);
    assertThat(route).contains("hosts: [backend-service]").contains("timeout: 2s").contains("retries: {attempts: 3, perTryTimeout: 500ms, retryOn: \"5xx,reset,connect-failure\"}");
    assertThat(MeshPolicy.routeFor(Mode.INMESH)).isEqualTo(MeshPolicy.virtualService(0));
  }
}
