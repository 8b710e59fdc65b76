package io.inmesh.agent.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.policy.model.ConnectionPoolSettings;
import io.inmesh.policy.model.TrafficPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UpstreamsTest {
  private final Fixtures f = new Fixtures();

  @SuppressWarnings("unchecked")
  private int clusters() {
    return ((List<Map<String, Object>>) f.upstreams.describe().get("clusters")).size();
  }

  @Test
  void theSameNameIsTheSameState() {
    assertThat(f.upstreams.cluster("outbound|||a")).isSameAs(f.upstreams.cluster("outbound|||a"));
    assertThat(f.upstreams.cluster("outbound|||a")).isNotSameAs(f.upstreams.cluster("outbound|||b"));
  }

  @Test
  void clustersIdleForLongAreDroppedButBusyOnesStay() {
    ClusterState busy = f.upstreams.cluster("busy");
    busy.admit(busy.pick(Fixtures.endpoints(1), TrafficPolicy.NONE, HashInput.NONE, List.of()), ConnectionPoolSettings.DEFAULT);
    for (int i = 0; i < 100; i++) {
      f.upstreams.cluster("c" + i);
    }
    assertThat(clusters()).isEqualTo(101);
    f.advance(Duration.ofMinutes(11));
    f.upstreams.cluster("new");
    assertThat(clusters()).isEqualTo(2); // "busy" has a request in flight, "new" was just used
    assertThat(f.upstreams.cluster("busy")).isSameAs(busy);
  }

  @Test
  void endpointsGoneFromSnapshotsForLongAreForgotten() {
    ClusterState c = f.upstreams.cluster("c");
    var two = Fixtures.endpoints(2);
    EndpointState first = c.pick(two, TrafficPolicy.NONE, HashInput.NONE, List.of(two[1]));
    assertThat(first.address()).isEqualTo(two[0]);
    c.pick(new java.net.InetSocketAddress[] {two[1]}, TrafficPolicy.NONE, HashInput.NONE, List.of());
    assertThat(c.endpoint(two[0])).as("recently listed: kept").isSameAs(first);
    f.advance(Duration.ofMinutes(11));
    c.pick(Fixtures.endpoints(3), TrafficPolicy.NONE, HashInput.NONE, List.of()); // a rebuild prunes
    c.pick(new java.net.InetSocketAddress[] {two[1]}, TrafficPolicy.NONE, HashInput.NONE, List.of());
    f.advance(Duration.ofMinutes(11));
    c.pick(Fixtures.endpoints(2), TrafficPolicy.NONE, HashInput.NONE, List.of());
    assertThat(f.upstreams.describe().toString()).doesNotContain("127.0.0.12:8080");
  }
}
