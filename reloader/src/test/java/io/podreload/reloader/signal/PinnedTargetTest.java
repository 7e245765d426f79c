package io.podreload.reloader.signal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.podreload.reloader.TestSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jnr.constants.platform.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The verified target handle: once the acknowledged process passed every check and was signalled,
 * it is pinned (a pidfd in production; here a stand-in that records what it is asked), and the next
 * signals go through the pin without reading /proc.
 */
class PinnedTargetTest {

  @TempDir Path tmp;
  final List<String> calls = new ArrayList<>();
  volatile int pinnedErrno;

  SignalTrigger trigger(FakeProcRoot proc) {
    SignalTrigger.Kill kill =
        new SignalTrigger.Kill() {
          @Override
          public int kill(long pid, int signal) {
            calls.add("kill " + pid);
            return 0;
          }

          @Override
          public long pin(long pid) {
            calls.add("pin " + pid);
            return 100 + pid;
          }

          @Override
          public int sendPinned(long pin, int signal) {
            calls.add("send " + pin);
            return pinnedErrno;
          }

          @Override
          public void unpin(long pin) {
            calls.add("unpin " + pin);
          }
        };
    return new SignalTrigger(
        TestSettings.reloader(proc.root, Map.of()), new ProcessTable(proc.root), kill, 1000);
  }

  FakeProcRoot proc;
  ReloadTrigger.Acknowledged ack;

  /** The app's process, acknowledged, and signalled once through every check. */
  SignalTrigger signalledOnce() throws Exception {
    proc = new FakeProcRoot(tmp).process(7, 1, ProcessTableTest.CATCHES_HUP, "java", "app.jar");
    ack = SignalTriggerTest.ack(proc, 7);
    SignalTrigger trigger = trigger(proc);
    assertThat(trigger.trigger(ack)).containsExactly(7L);
    return trigger;
  }

  @Test
  void afterTheFirstCheckedSignalTheNextOnesNeedNoProcRead() throws Exception {
    SignalTrigger trigger = signalledOnce();
    assertThat(calls).containsExactly("kill 7", "pin 7");

    // /proc of the process can no longer be read: the pinned path does not need it.
    for (String file : List.of("cmdline", "status", "stat")) {
      Files.delete(proc.root.resolve("7").resolve(file));
    }
    assertThat(trigger.trigger(ack)).containsExactly(7L);
    assertThat(trigger.trigger(ack)).containsExactly(7L);
    assertThat(calls).containsExactly("kill 7", "pin 7", "send 107", "send 107");
  }

  @Test
  void aPinnedProcessThatExitedIsAMissingTargetAndIsUnpinned() throws Exception {
    SignalTrigger trigger = signalledOnce();
    pinnedErrno = Errno.ESRCH.intValue();
    assertThatThrownBy(() -> trigger.trigger(ack))
        .isInstanceOfSatisfying(
            TriggerException.class,
            e -> assertThat(e.reason()).isEqualTo(TriggerException.Reason.NO_TARGET));
    assertThat(calls).containsExactly("kill 7", "pin 7", "send 107", "unpin 107");
  }

  @Test
  void aPinnedProcessThatStopsCatchingTheSignalIsUnpinnedOffThePath() throws Exception {
    SignalTrigger trigger = signalledOnce();
    trigger.recheck();
    assertThat(calls).containsExactly("kill 7", "pin 7"); // still fine: kept
    proc.process(7, 1, ProcessTableTest.NO_HUP, "java", "app.jar"); // its handler went away
    trigger.recheck();
    assertThat(calls).containsExactly("kill 7", "pin 7", "unpin 107");
    assertThatThrownBy(() -> trigger.trigger(ack))
        .isInstanceOfSatisfying(
            TriggerException.class,
            e -> assertThat(e.reason()).isEqualTo(TriggerException.Reason.NOT_CAUGHT));
  }
}
