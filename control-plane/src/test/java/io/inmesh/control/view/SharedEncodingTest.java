package io.inmesh.control.view;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.control.snapshot.SnapshotService;
import io.inmesh.policy.compile.Endpoint;
import io.inmesh.policy.compile.ServiceKey;
import io.inmesh.policy.snapshot.SnapshotCodec;
import io.inmesh.policy.tree.JsonTrees;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A view is encoded from each resource's bytes, encoded once and shared by every view: the version
 * must be the one the whole-tree hash gives (identical content, identical version, on every control
 * plane and across restarts), and the body must be the snapshot SnapshotCodec writes.
 */
class SharedEncodingTest {

  @Test
  void versionFromSharedPartsIsTheWholeTreeHash_andBodyIsTheCodecsSnapshot() throws Exception {
    List<Map<String, Object>> resources = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Map<String, Object> meta = new LinkedHashMap<>();
      meta.put("namespace", "default");
      meta.put("name", "r" + i);
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("spec", Map.of("hosts", List.of("svc-" + i), "http", List.of(Map.of("route", List.of()))));
      r.put("kind", "VirtualService");
      r.put("metadata", meta);
      r.put("apiVersion", "networking.istio.io/v1");
      r.put("file", "routes.yaml");
      resources.add(r);
    }
    Map<ServiceKey, List<Endpoint>> endpoints = new LinkedHashMap<>();
    endpoints.put(new ServiceKey("svc-1", "default"),
        List.of(new Endpoint("127.0.9.1", List.of(8080), Map.of("version", "v1", "app", "svc-1"), "a-1", null)));
    endpoints.put(new ServiceKey("svc-2", "other"),
        List.of(new Endpoint("127.0.9.2", List.of(8080, 9090), Map.of("app", "svc-2"), "a-2", "spiffe://cluster.local/ns/other/sa/x"),
            new Endpoint("127.0.9.3", List.of(8080), Map.of(), "a-3", null)));
    for (List<Map<String, Object>> res : List.of(resources, List.<Map<String, Object>>of())) {
      String whole = SnapshotService.versionOf(res, endpoints);
      List<byte[]> canonical = res.stream().map(SnapshotService::canonical).toList();
      List<WorkloadViews.EncodedService> services =
          endpoints.entrySet().stream().map(e -> WorkloadViews.EncodedService.of(e.getKey(), e.getValue())).toList();
      assertThat(SnapshotService.versionOfEncoded(canonical, services.stream().map(WorkloadViews.EncodedService::canonical).toList()))
          .isEqualTo(whole);
      List<byte[]> wire = res.stream().map(JsonTrees::write).toList();
      byte[] body = WorkloadViews.wireBytes(whole, 7, wire, services.stream().map(WorkloadViews.EncodedService::wire).toList());
      assertThat(JsonTrees.readObject(body)).isEqualTo(JsonTrees.readObject(SnapshotCodec.encode(whole, 7, res, endpoints)));
    }
    // a different endpoint set is a different version
    assertThat(SnapshotService.versionOfEncoded(resources.stream().map(SnapshotService::canonical).toList(), List.of()))
        .isNotEqualTo(SnapshotService.versionOf(resources, endpoints));
  }
}
