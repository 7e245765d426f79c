package io.podreload.reloader.signal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.podreload.reloader.TestSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jnr.constants.platform.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SignalTriggerTest {

  @TempDir Path tmp;
  final List<long[]> sent = new ArrayList<>();

  SignalTrigger trigger(FakeProcRoot proc, int errno, Map<String, String> settings) {
    return new SignalTrigger(
        TestSettings.reloader(proc.root, settings),
        new ProcessTable(proc.root),
        (pid, signal) -> {
          sent.add(new long[] {pid, signal});
          return errno;
        },
        1000);
  }

  @Test
  void sendsSighupToEveryMatchingProcessThatCatchesIt() throws Exception {
    FakeProcRoot proc =
        new FakeProcRoot(tmp)
            .process(7, 1, ProcessTableTest.CATCHES_HUP, "java", "-jar", "app.jar")
            .process(8, 1, ProcessTableTest.CATCHES_HUP, "java", "-jar", "app.jar");
    assertThat(trigger(proc, 0, Map.of("reloader.signal-all", "true")).trigger(null))
        .containsExactly(7L, 8L);
    assertThat(sent).extracting(s -> s[1]).containsOnly(1L);
  }

  @Test
  void refusesToSendASignalTheTargetDoesNotCatch() throws Exception {
    FakeProcRoot proc =
        new FakeProcRoot(tmp).process(7, 1, ProcessTableTest.NO_HUP, "java", "-jar", "app.jar");
    assertThatThrownBy(() -> trigger(proc, 0, Map.of()).trigger(ack(proc, 7)))
        .isInstanceOfSatisfying(
            TriggerException.class,
            e -> assertThat(e.reason()).isEqualTo(TriggerException.Reason.NOT_CAUGHT))
        .hasMessageContaining("does not catch SIGHUP");
    assertThat(sent).isEmpty();
  }

  @Test
  void epermNamesTheFix() throws Exception {
    FakeProcRoot proc =
        new FakeProcRoot(tmp).process(7, 1, ProcessTableTest.CATCHES_HUP, "java", "app.jar");
    assertThatThrownBy(() -> trigger(proc, Errno.EPERM.intValue(), Map.of()).trigger(ack(proc, 7)))
        .isInstanceOfSatisfying(
            TriggerException.class,
            e -> assertThat(e.reason()).isEqualTo(TriggerException.Reason.PERMISSION))
        .hasMessageContaining("same runAsUser")
        .hasMessageContaining("its own UID")
        .hasMessageNotContaining("CAP_KILL"); // the restricted profile forbids it
  }

  @Test
  void noMatchingProcessIsReportedAsMissingTarget() throws Exception {
    FakeProcRoot proc = new FakeProcRoot(tmp).process(7, 1, "0", "nginx");
    assertThatThrownBy(() -> trigger(proc, 0, Map.of()).trigger())
        .isInstanceOfSatisfying(
            TriggerException.class,
            e -> assertThat(e.reason()).isEqualTo(TriggerException.Reason.NO_TARGET));
  }

  @Test
  void severalMatchesAreRefusedWhenSignallingAllIsOff() throws Exception {
    FakeProcRoot proc =
        new FakeProcRoot(tmp)
            .process(7, 1, ProcessTableTest.CATCHES_HUP, "app.jar")
            .process(8, 1, ProcessTableTest.CATCHES_HUP, "app.jar");
    assertThatThrownBy(() -> trigger(proc, 0, Map.of("reloader.signal-all", "false")).trigger())
        .isInstanceOfSatisfying(
            TriggerException.class,
            e -> assertThat(e.reason()).isEqualTo(TriggerException.Reason.AMBIGUOUS));
    assertThat(sent).isEmpty();
  }

  @Test
  void aDryRunSendsNothing() throws Exception {
    FakeProcRoot proc =
        new FakeProcRoot(tmp).process(7, 1, ProcessTableTest.CATCHES_HUP, "app.jar");
    assertThat(trigger(proc, 0, Map.of("reloader.dry-run", "true")).trigger(ack(proc, 7)))
        .containsExactly(7L);
    assertThat(sent).isEmpty();
  }

  static ReloadTrigger.Acknowledged ack(FakeProcRoot proc, long pid) {
    return new ReloadTrigger.Acknowledged(
        pid, new ProcessTable(proc.root).startedAt(pid).orElseThrow());
  }

  @Test
  void signalsOnlyThePidTheStatusFileNamesNotEveryMatch() throws Exception {
    FakeProcRoot proc =
        new FakeProcRoot(tmp)
            .process(7, 1, ProcessTableTest.CATCHES_HUP, "java", "-jar", "app.jar")
            .process(8, 1, ProcessTableTest.CATCHES_HUP, "java", "-jar", "app.jar");
    assertThat(trigger(proc, 0, Map.of()).trigger(ack(proc, 8))).containsExactly(8L);
    assertThat(sent).extracting(s -> s[0]).containsExactly(8L);
  }

  @Test
  void aPidNowHeldByAnotherProcessIsNotSignalled() throws Exception {
    FakeProcRoot proc =
        new FakeProcRoot(tmp).process(7, 1, ProcessTableTest.CATCHES_HUP, "java", "app.jar");
    var acknowledgedEarlier =
        new ReloadTrigger.Acknowledged(7, ack(proc, 7).startedAt().minusSeconds(30));
    assertThatThrownBy(() -> trigger(proc, 0, Map.of()).trigger(acknowledgedEarlier))
        .isInstanceOfSatisfying(
            TriggerException.class,
            e -> assertThat(e.reason()).isEqualTo(TriggerException.Reason.NO_TARGET))
        .hasMessageContaining("not the process that acknowledged");
    assertThat(sent).isEmpty();
  }

  @Test
  void anUnreadableStartTimeFailsClosed() throws Exception {
    FakeProcRoot proc =
        new FakeProcRoot(tmp).process(7, 1, ProcessTableTest.CATCHES_HUP, "java", "app.jar");
    var acknowledged = ack(proc, 7);
    java.nio.file.Files.delete(proc.root.resolve("7").resolve("stat"));
    assertThatThrownBy(() -> trigger(proc, 0, Map.of()).trigger(acknowledged))
        .isInstanceOf(TriggerException.class);
    assertThat(sent).isEmpty();
  }

  @Test
  void aStatusPidThatNoLongerMatchesTheCommandLineIsNotSignalled() throws Exception {
    FakeProcRoot proc = new FakeProcRoot(tmp).process(7, 1, ProcessTableTest.CATCHES_HUP, "nginx");
    assertThatThrownBy(() -> trigger(proc, 0, Map.of()).trigger(ack(proc, 7)))
        .isInstanceOf(TriggerException.class)
        .hasMessageContaining("no longer matches");
    assertThat(sent).isEmpty();
  }

  @Test
  void withoutAnAcknowledgementNothingIsSignalledUnlessSignallingAll() throws Exception {
    FakeProcRoot proc =
        new FakeProcRoot(tmp).process(7, 1, ProcessTableTest.CATCHES_HUP, "java", "app.jar");
    assertThatThrownBy(() -> trigger(proc, 0, Map.of()).trigger(null))
        .isInstanceOf(TriggerException.class)
        .hasMessageContaining("has not acknowledged");
    assertThat(sent).isEmpty();
  }
}
