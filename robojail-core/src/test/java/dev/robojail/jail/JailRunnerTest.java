package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.Errno;
import dev.robojail.ffm.SyscallException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Ending a jail's PID 1: exactly that process, and only "it is gone already" is not an error. */
class JailRunnerTest {
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
