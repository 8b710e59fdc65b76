package io.inmesh.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** Issue 15, item 4: the test-only stage-failure switch is a system property only, and announced. */
class TestFaultsSettingsTest {

  @Test
  void theSwitchIsReadFromTheSystemPropertyAndAnnouncedInTheStartLine() {
    Properties p = new Properties();
    p.setProperty("inmesh.test.failStages", "resolve,retry");
    Settings s = Settings.resolve(Map.of("INMESH_SERVICE", "pedido-service"), p);
    assertThat(s.testFaults).isEqualTo("resolve,retry");
    assertThat(s.startLine("1", "2")).contains(" test-faults=resolve,retry (TEST ONLY: these stages throw on every call)");
  }

  @Test
  void thereIsNoEnvironmentVariableTwin() {
    Settings s = Settings.resolve(Map.of("INMESH_SERVICE", "pedido-service", "INMESH_TEST_FAILSTAGES", "all"), new Properties());
    assertThat(s.testFaults).isNull();
    assertThat(s.startLine("1", "2")).doesNotContain("test-faults");
  }
}
