package io.inmesh.policy.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class AgentIdentityTest {

  @Test
  void thePidIsThisProcesses() {
    assertThat(AgentIdentity.currentPid()).isEqualTo(ProcessHandle.current().pid());
  }

  @Test
  void theHostNameIsWhatTheResolverWouldStartFrom() throws Exception {
    // Linux (where CI runs): the kernel's name, which InetAddress.getLocalHost() starts from
    assertThat(AgentIdentity.kernelHostName()).isEqualTo(InetAddress.getLocalHost().getHostName());
  }
}
