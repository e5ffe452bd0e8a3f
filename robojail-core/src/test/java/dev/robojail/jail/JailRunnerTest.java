package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.Errno;
import dev.robojail.ffm.FakeKernel;
import dev.robojail.ffm.SyscallException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Ending a jail's PID 1: exactly that process, and only "it is gone already" is not an error. The
 * decisions are tested against the recording {@link FakeKernel}, the real calls against real
 * processes.
 */
class JailRunnerTest {
  /** This JVM: alive by every check {@link Supervisor#isAlive()} makes, never really signalled. */
  private static final Supervisor ALIVE = Supervisor.current();

  private static final String OPEN = "pidfd_open(" + ALIVE.pid() + ", 0)";

  @Test
  void aLiveProcessGetsSigkillThroughItsPidfdWhichIsThenClosed() {
    FakeKernel kernel = new FakeKernel().on("pidfd_open", 7);
    JailRunner.kill(kernel, ALIVE);
    assertEquals(List.of(OPEN, "pidfd_send_signal(7, 9)", "close(7)"), kernel.calls());
  }

  @Test
  void aProcessGoneBeforeItsPidfdIsOpenedIsQuietAndNothingIsClosed() {
    FakeKernel kernel =
        new FakeKernel().on("pidfd_open", FakeKernel.errno("pidfd_open", Errno.ESRCH));
    JailRunner.kill(kernel, ALIVE);
    assertEquals(List.of(OPEN), kernel.calls());
  }

  @Test
  void aProcessGoneBeforeTheSignalIsQuietAndItsPidfdIsClosed() {
    FakeKernel kernel =
        new FakeKernel()
            .on("pidfd_open", 7)
            .on("pidfd_send_signal", FakeKernel.errno("pidfd_send_signal", Errno.ESRCH));
    JailRunner.kill(kernel, ALIVE);
    assertEquals(List.of(OPEN, "pidfd_send_signal(7, 9)", "close(7)"), kernel.calls());
  }

  @Test
  void aPidNowUsedByAnotherProcessIsNotSignalledAndItsPidfdIsClosed() {
    // Same pid and boot, another start time: the jail's PID 1 ended and the pid was reused.
    Supervisor reused = new Supervisor(ALIVE.pid(), ALIVE.startTime() + 1, ALIVE.bootId());
    FakeKernel kernel = new FakeKernel().on("pidfd_open", 7);
    JailRunner.kill(kernel, reused);
    assertEquals(List.of(OPEN, "close(7)"), kernel.calls());
  }

  @ParameterizedTest
  @ValueSource(ints = {Errno.EPERM, Errno.EINVAL, Errno.ENOSYS})
  void anyOtherErrnoFromPidfdOpenIsThrown(int errno) {
    FakeKernel kernel = new FakeKernel().on("pidfd_open", FakeKernel.errno("pidfd_open", errno));
    SyscallException e = assertThrows(SyscallException.class, () -> JailRunner.kill(kernel, ALIVE));
    assertEquals(errno, e.errno());
    assertEquals(List.of(OPEN), kernel.calls());
  }

  @ParameterizedTest
  @ValueSource(ints = {Errno.EPERM, Errno.EINVAL, Errno.EBADF})
  void anyOtherErrnoFromTheSignalIsThrownAndThePidfdIsStillClosed(int errno) {
    FakeKernel kernel =
        new FakeKernel()
            .on("pidfd_open", 7)
            .on("pidfd_send_signal", FakeKernel.errno("pidfd_send_signal", errno));
    SyscallException e = assertThrows(SyscallException.class, () -> JailRunner.kill(kernel, ALIVE));
    assertEquals(errno, e.errno());
    assertEquals(List.of(OPEN, "pidfd_send_signal(7, 9)", "close(7)"), kernel.calls());
  }

  @Test
  void killEndsALiveProcess() throws Exception {
    Process p = new ProcessBuilder("sleep", "100").start();
    try {
      Supervisor init = Supervisor.of(p.pid()).orElseThrow();
      JailRunner.kill(init);
      assertTrue(p.waitFor(10, TimeUnit.SECONDS), "the process did not end");
      assertEquals(128 + 9, p.exitValue());
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void aProcessThatEndedMeanwhileIsNotAnError() throws Exception {
    Process p = new ProcessBuilder("sleep", "100").start();
    Supervisor init = Supervisor.of(p.pid()).orElseThrow();
    p.destroyForcibly().waitFor();
    assertFalse(init.isAlive());
    JailRunner.kill(init);
  }

  @Test
  void anyOtherFailureIsThrown() {
    // pidfd_open(-1) is EINVAL: a failure that says nothing about the jail having ended.
    SyscallException e =
        assertThrows(SyscallException.class, () -> JailRunner.kill(new Supervisor(-1, 0, "boot")));
    assertEquals(Errno.EINVAL, e.errno());
  }
}
