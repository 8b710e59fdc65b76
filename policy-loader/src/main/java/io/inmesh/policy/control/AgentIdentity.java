package io.inmesh.policy.control;

import io.inmesh.launcher.Settings;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;

/**
 * Who this agent is to the control plane; the id is fixed for the JVM's lifetime. The host name is
 * looked up on first use, on a background thread: it can mean a DNS query, and premain does no
 * network I/O.
 */
public final class AgentIdentity {
  private final String id;
  private final long pid;
  private volatile String host;

  private AgentIdentity(String id, long pid) {
    this.id = id;
    this.pid = pid;
  }

  public static AgentIdentity create(Settings s) {
    long pid = currentPid();
    // distinguishes two JVMs that reuse a pid (a restarted container's pid 1); not a secret
    long mix = (System.nanoTime() ^ System.identityHashCode(s)) * 0x9E3779B97F4A7C15L;
    String id = s.service + "-" + pid + "-" + Long.toHexString((mix >>> 40) & 0xffffffL);
    return new AgentIdentity(id, pid);
  }

  /**
   * This JVM's pid: from {@code /proc/self} where there is one (Linux), else {@code ProcessHandle}.
   * Issue 13: {@code ProcessHandle} loads its implementation and thread-pool machinery at start-up
   * of every meshed JVM; {@code /proc/self} is a path resolution.
   */
  static long currentPid() {
    try {
      String self = new File("/proc/self").getCanonicalFile().getName();
      boolean digits = !self.isEmpty();
      for (int i = 0; i < self.length() && digits; i++) {
        digits = self.charAt(i) >= '0' && self.charAt(i) <= '9';
      }
      if (digits) {
        return Long.parseLong(self);
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: below
    }
    return ProcessHandle.current().pid();
  }

  public String id() {
    return id;
  }

  public long pid() {
    return pid;
  }

  public String host() {
    String h = host;
    if (h == null) {
      h = kernelHostName();
      if (h == null) {
        try {
          h = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
          h = "unknown";
        }
      }
      host = h;
    }
    return h;
  }

  /**
   * The host name the kernel holds ({@code /proc/sys/kernel/hostname}, what {@code InetAddress.getLocalHost()}
   * would start from), or null where there is no such file: no resolver, no address caches.
   */
  static String kernelHostName() {
    try (InputStream in = new FileInputStream("/proc/sys/kernel/hostname")) {
      byte[] b = in.readNBytes(256);
      String h = new String(b, StandardCharsets.US_ASCII).trim();
      return h.isEmpty() ? null : h;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
