package io.inmesh.control.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.policy.compile.Endpoint;
import io.inmesh.policy.compile.ServiceKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SnapshotServiceTest {

  @Test
  void theVersionDependsOnContentNotOnMapOrder() {
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("kind", "DestinationRule");
    a.put("metadata", Map.of("name", "x", "namespace", "default"));
    Map<String, Object> b = new LinkedHashMap<>();
    b.put("metadata", Map.of("namespace", "default", "name", "x"));
    b.put("kind", "DestinationRule");
    assertThat(SnapshotService.versionOf(List.of(a), Map.of())).isEqualTo(SnapshotService.versionOf(List.of(b), Map.of()));

    Map<ServiceKey, List<Endpoint>> svc =
        Map.of(new ServiceKey("s", "default"), List.of(new Endpoint("127.0.0.21", List.of(8080), Map.of(), "a")));
    assertThat(SnapshotService.versionOf(List.of(a), svc)).isNotEqualTo(SnapshotService.versionOf(List.of(a), Map.of()));
  }

  @Test
  void aWaiterWakesWhenTheVersionMovesAndGenerationsCount() throws Exception {
    List<Map<String, Object>> resources = new ArrayList<>();
    SnapshotService s = new SnapshotService(() -> List.copyOf(resources), Map::of, null, 0, Duration.ZERO);
    Snapshot first = s.current();
    assertThat(first.generation()).isEqualTo(1);

    CompletableFuture<Snapshot> waiter =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return s.await(first.version(), Duration.ofSeconds(10));
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });
    Thread.sleep(100);
    assertThat(waiter).isNotDone();
    assertThat(s.refresh().changed()).isFalse(); // same content: nobody is woken

    resources.add(Map.of("kind", "DestinationRule"));
    assertThat(s.refresh().changed()).isTrue();
    Snapshot next = waiter.get(5, TimeUnit.SECONDS);
    assertThat(next.version()).isNotEqualTo(first.version());
    assertThat(next.generation()).isEqualTo(2);

    assertThat(s.await(next.version(), Duration.ofMillis(50))).isNull();
    assertThat(s.await(null, Duration.ZERO)).isSameAs(next);
    s.close();
  }

  @Test
  void theGenerationContinuesFromTheLastRun() {
    String v = new SnapshotService(List::of, Map::of, null, 0, Duration.ZERO).current().version();
    assertThat(new SnapshotService(List::of, Map::of, v, 41, Duration.ZERO).current().generation()).isEqualTo(41);
    assertThat(new SnapshotService(List::of, Map::of, "other", 41, Duration.ZERO).current().generation()).isEqualTo(42);
  }
}
