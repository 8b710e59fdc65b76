package io.inmesh.control.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.policy.PolicyParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A policy file changed behind the control plane's back is read only once its size and mtime held
 * still between two scans (the control plane scans again 50 ms after one that saw a change), so a
 * file caught mid-write is not parsed; a file still moving keeps waiting.
 */
class PolicyWatcherSettleTest {

  static final String ONE = """
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata:
        name: a
      spec:
        hosts: [a]
        http:
        - route:
          - destination: {host: a}
      """;
  static final String TWO = ONE + """
      ---
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata:
        name: b
      spec:
        hosts: [b]
        http:
        - route:
          - destination: {host: b}
      """;

  @TempDir Path dir;

  @Test
  void aChangedFileIsReadOnceItHeldStillBetweenTwoScans() throws Exception {
    Path file = dir.resolve("vs.yaml");
    Files.writeString(file, ONE);
    List<List<PolicyChange>> seen = new ArrayList<>();
    PolicyWatcher w = new PolicyWatcher(dir, new PolicyParser(), new PolicyStore("default"), seen::add, p -> {});
    w.scan(); // the first scan reads everything at once
    assertThat(seen).hasSize(1);
    assertThat(w.settling()).isFalse();

    // a writer part-way: the scan that sees the change does not read it
    Files.writeString(file, TWO.substring(0, ONE.length() + 10));
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(1)));
    assertThat(w.scan()).isEmpty();
    assertThat(w.settling()).isTrue();
    // it moved again before the next look: still not read
    Files.writeString(file, TWO);
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(2)));
    assertThat(w.scan()).isEmpty();
    assertThat(w.settling()).isTrue();
    // held still: read, whole
    List<PolicyChange> read = w.scan();
    assertThat(read).hasSize(1);
    assertThat(w.settling()).isFalse();
    assertThat(seen).hasSize(2);
  }
}
