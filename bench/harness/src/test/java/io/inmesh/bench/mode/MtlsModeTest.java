package io.inmesh.bench.mode;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.bench.mesh.MeshPolicy;
import org.junit.jupiter.api.Test;

class MtlsModeTest {

  @Test
  void theMtlsModeRunsWhereTheBackendsServerTerminatesMeshTlsAndServesTheBackendStrict() {
    Mode m = Mode.byId("inmesh-mtls");
    assertThat(m.meshed()).isTrue();
    assertThat(m.meshTls()).isTrue();
    assertThat(m.skipReason).isNull();
    for (AppPair pair : AppPair.values()) {
      if (pair.serverMtlsMissing == null) {
        assertThat(m.skipReason(pair)).as(pair.id).isNull();
      } else {
        assertThat(m.skipReason(pair)).as(pair.id).contains(pair.id).contains(pair.serverMtlsMissing);
      }
      assertThat(Mode.INMESH.skipReason(pair)).isNull();
    }
    assertThat(m.skipReason(AppPair.JDK)).isNull();
    // STRICT on the backend only: the frontend takes the load generator's plain text
    assertThat(MeshPolicy.otherFilesFor(m)).containsOnlyKeys(MeshPolicy.PEER_AUTHENTICATION_FILE_NAME);
    assertThat(MeshPolicy.backendStrict()).contains("kind: PeerAuthentication").contains("app: backend-service").contains("mode: STRICT");
    assertThat(MeshPolicy.otherFilesFor(Mode.INMESH)).isEmpty();
  }
}
