package io.inmesh.agent.control;

import io.inmesh.launcher.Settings;
import java.net.InetAddress;
import java.util.concurrent.ThreadLocalRandom;

/** Who this agent is to the control plane; the id is fixed for the JVM's lifetime. */
public record AgentIdentity(String id, long pid, String host) {

  public static AgentIdentity create(Settings s) {
    long pid = ProcessHandle.current().pid();
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      host = "unknown";
    }
    String id = s.service + "-" + pid + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
    return new AgentIdentity(id, pid, host);
  }
}
