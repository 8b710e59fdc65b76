package io.inmesh.bench.mesh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inmesh.bench.measure.Http;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Policy edit → enforced: rewrites the VirtualService file atomically and polls the running
 * application's {@code :15000/config_dump} every ~5 ms until {@code snapshot.version} changes.
 */
public final class PolicyPropagation {
  private static final ObjectMapper JSON = new ObjectMapper();

  private PolicyPropagation() {}

  public record Edit(int n, double millis, boolean enforced, String version) {}

  public static String snapshotVersion(String adminAddress) {
    Http.Response r = Http.get("http://" + adminAddress + ":15000/config_dump");
    if (r.status() != 200) {
      return null;
    }
    try {
      JsonNode v = JSON.readTree(r.body()).path("snapshot").path("version");
      return v.isMissingNode() || v.isNull() ? null : v.asText();
    } catch (IOException e) {
      return null;
    }
  }

  /** {@code edits} edits, each bounded by {@code timeoutSeconds}; restores edit 0 at the end. */
  public static List<Edit> measure(Path policyFile, String adminAddress, int edits, double timeoutSeconds) throws IOException {
    List<Edit> out = new ArrayList<>();
    for (int n = 1; n <= edits; n++) {
      String before = snapshotVersion(adminAddress);
      String text = MeshPolicy.virtualService(n);
      long t0 = System.nanoTime();
      MeshPolicy.writeAtomically(policyFile, text);
      long deadline = t0 + (long) (timeoutSeconds * 1e9);
      String now = before;
      boolean changed = false;
      while (System.nanoTime() < deadline) {
        now = snapshotVersion(adminAddress);
        if (now != null && !now.equals(before)) {
          changed = true;
          break;
        }
        sleepMicros(5000);
      }
      double ms = (System.nanoTime() - t0) / 1e6;
      out.add(new Edit(n, ms, changed, now));
      Http.sleep(250);
    }
    MeshPolicy.writeAtomically(policyFile, MeshPolicy.virtualService(0));
    return out;
  }

  private static void sleepMicros(long micros) {
    try {
      TimeUnit.MICROSECONDS.sleep(micros);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
