package io.inmesh.control.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registration journal replays graceful deregistrations too, in order: a control plane killed
 * between an agent's goodbye and the next save must not bring that endpoint back (callers would send
 * it traffic until a TTL later), while an agent that came back after its goodbye stays.
 */
class RegistryFileJournalTest {

  @TempDir Path data;

  private static AgentRecord agent(String id, String address) {
    return AgentRecord.registered(
        new Registration(id, "journal-service", "default", Map.of(), address, List.of(8080), null, null, null, null),
        Instant.EPOCH);
  }

  @Test
  void aDeregistrationInTheJournalRemovesTheAgentAndALaterRegistrationBringsItBack() throws Exception {
    RegistryFile file = new RegistryFile(data);
    ByteArrayOutputStream journal = new ByteArrayOutputStream();
    journal.write(RegistryFile.journalLine(agent("a", "127.4.3.1")));
    journal.write(RegistryFile.journalLine(agent("b", "127.4.3.2")));
    journal.write(RegistryFile.journalLine(agent("c", "127.4.3.3")));
    journal.write(RegistryFile.deregistrationLine("a"));
    journal.write(RegistryFile.deregistrationLine("c"));
    journal.write(RegistryFile.journalLine(agent("c", "127.4.3.4")));
    Files.write(file.journal(), journal.toByteArray());

    RegistryFile.Saved saved = file.load();

    assertThat(saved.agents()).extracting(AgentRecord::agent).containsExactlyInAnyOrder("b", "c");
    assertThat(saved.agents()).filteredOn(r -> r.agent().equals("c"))
        .extracting(r -> r.registration().address()).containsExactly("127.4.3.4");
  }

  @Test
  void aDeregistrationRemovesAnAgentOfTheSavedFileAndOfTheOldJournal() throws Exception {
    RegistryFile file = new RegistryFile(data);
    Files.write(file.oldJournal(), RegistryFile.journalLine(agent("old", "127.4.3.5")));
    ByteArrayOutputStream journal = new ByteArrayOutputStream();
    journal.write(RegistryFile.journalLine(agent("kept", "127.4.3.6")));
    journal.write(RegistryFile.deregistrationLine("old"));
    Files.write(file.journal(), journal.toByteArray());

    assertThat(file.load().agents()).extracting(AgentRecord::agent).containsExactly("kept");
  }
}
