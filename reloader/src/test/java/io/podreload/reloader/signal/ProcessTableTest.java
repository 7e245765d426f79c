package io.podreload.reloader.signal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessTableTest {

  // bit 0 = SIGHUP (1); 0x4a02 is what a JVM's defaults look like without an HUP handler
  static final String CATCHES_HUP = "0000000000004a03";
  static final String NO_HUP = "0000000000004a02";

  @TempDir Path tmp;

  @Test
  void findsTargetsByTheirSpaceJoinedCommandLineAndSkipsItselfAndItsAncestors() throws Exception {
    FakeProcRoot proc =
        new FakeProcRoot(tmp)
            .process(1, 0, "0", "/pause")
            .process(7, 1, CATCHES_HUP, "java", "@/app/jvm.options", "-jar", "/app/app.jar")
            .process(9, 1, "0", "bash", "-c", "grep app.jar")
            .process(10, 9, "0", "java", "-jar", "/app/reloader.jar", "--target", "app.jar")
            .process(11, 1, "0");
    ProcessTable table = new ProcessTable(proc.root);
    var found = table.find(Pattern.compile("app\\.jar"), 10);
    assertThat(found)
        .extracting(ProcessTable.Process::pid)
        .containsExactly(7L); // 9 and 10 are the reloader and its parent; 11 has no cmdline
    assertThat(found.get(0).cmdline()).isEqualTo("java @/app/jvm.options -jar /app/app.jar");
  }

  @Test
  void readsWhetherASignalIsCaughtFromSigCgt() throws Exception {
    FakeProcRoot proc =
        new FakeProcRoot(tmp).process(7, 1, CATCHES_HUP, "a").process(8, 1, NO_HUP, "b");
    ProcessTable table = new ProcessTable(proc.root);
    assertThat(table.catches(7, 1)).contains(true);
    assertThat(table.catches(8, 1)).contains(false);
    assertThat(table.catches(8, 2)).contains(true); // SIGINT: bit 1 of 0x...2
    assertThat(table.catches(99, 1)).isEmpty(); // gone
    assertThat(ProcessTable.parseMask("8000000000000000").testBit(63)).isTrue();
  }

  @Test
  void startTimeComesFromStatEvenWithParenthesesInTheCommandName() throws Exception {
    FakeProcRoot proc = new FakeProcRoot(tmp).process(7, 1, "0", "a");
    assertThat(new ProcessTable(proc.root).startedAt(7))
        .contains(Instant.ofEpochSecond(1700000000).plusMillis(123450));
  }

  @Test
  void theRealProcTableFindsThisTestProcess() throws Exception {
    ProcessTable table = new ProcessTable(Path.of("/proc"));
    long self = ProcessHandle.current().pid();
    assertThat(table.cmdline(self)).get().asString().contains("java");
    assertThat(table.startedAt(self)).get().matches(t -> t.isBefore(Instant.now()));
    assertThat(Files.isDirectory(Path.of("/proc", Long.toString(self)))).isTrue();
  }
}
