package io.inmesh.bench.proc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class NativeMemoryTest {

  @Test
  void parsesTotalAndCategoriesOfAJcmdSummary() {
    String out =
        """
        12345:

        Native Memory Tracking:

        (Omitting categories weighting less than 1KB)

        Total: reserved=1530291KB, committed=151027KB
               malloc: 19431KB #171372
               mmap:   reserved=1510860KB, committed=131596KB

        -                 Java Heap (reserved=262144KB, committed=17408KB)
                                    (mmap: reserved=262144KB, committed=17408KB)

        -                     Class (reserved=1050781KB, committed=6429KB)
                                    (classes #8523)

        -                    Thread (reserved=27811KB, committed=1311KB)
                                    (thread #27)
        -                      Code (reserved=248321KB, committed=13565KB)
        """;
    Map<String, Long> m = NativeMemory.parse(out);
    assertThat(m).containsEntry("Total", 151027L).containsEntry("Java Heap", 17408L).containsEntry("Class", 6429L)
        .containsEntry("Thread", 1311L).containsEntry("Code", 13565L);
    assertThat(m.keySet().iterator().next()).isEqualTo("Total");
  }

  @Test
  void noOutputGivesNothing() {
    assertThat(NativeMemory.parse("Native memory tracking is not enabled")).isEmpty();
  }
}
