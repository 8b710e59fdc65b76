package io.inmesh.agent.admin;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AdminServerTest {

  @Test
  void requestWorkersAreTheServersPooledThreadsOnly() {
    assertThat(AdminServer.isRequestWorker("inmesh-admin-3")).isTrue();
    assertThat(AdminServer.isRequestWorker("inmesh-health-12")).isTrue();
    assertThat(AdminServer.isRequestWorker("inmesh-responder-0")).isTrue();
    assertThat(AdminServer.isRequestWorker("inmesh-admin-")).isFalse();
    assertThat(AdminServer.isRequestWorker("inmesh-admin-x")).isFalse();
    assertThat(AdminServer.isRequestWorker("inmesh-admin-1a")).isFalse();
    assertThat(AdminServer.isRequestWorker("inmesh-control")).isFalse();
    assertThat(AdminServer.isRequestWorker("inmesh-identity-1")).isFalse();
  }
}
