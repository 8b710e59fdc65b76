package io.inmesh.policy.control;

import io.inmesh.launcher.Settings;
import java.net.InetAddress;
import java.util.concurrent.ThreadLocalRandom;

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
    long pid = ProcessHandle.current().pid();
    String id = s.service + "-" + pid + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
    return new AgentIdentity(id, pid);
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
      try {
        h = InetAddress.getLocalHost().getHostName();
      } catch (Exception e) {
        h = "unknown";
      }
      host = h;
    }
    return h;
  }
}
