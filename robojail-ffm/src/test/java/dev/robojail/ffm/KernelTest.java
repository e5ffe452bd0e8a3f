package dev.robojail.ffm;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The real side of the seam answers the way the fake is scripted to. */
class KernelTest {
  private final Kernel kernel = Kernel.linux();

  @Test
  void pollSaysReadableThenHangupOnAPipe() {
    int[] p = kernel.pipe2(Syscalls.O_CLOEXEC);
    try {
      assertEquals(0, kernel.poll(p[0], PollFd.POLLIN, 0), "nothing written yet: a timeout");
      assertEquals(3, kernel.write(p[1], "xabc".getBytes(UTF_8), 1, 3));
      assertTrue((kernel.poll(p[0], PollFd.POLLIN, 1000) & PollFd.POLLIN) != 0);
      byte[] b = new byte[8];
      assertEquals(3, kernel.read(p[0], b, 2, 6));
      assertEquals("abc", new String(b, 2, 3, UTF_8));
      kernel.close(p[1]);
      p[1] = -1;
      assertTrue((kernel.poll(p[0], PollFd.POLLIN, 1000) & PollFd.POLLHUP) != 0);
      assertEquals(0, kernel.read(p[0], b, 0, b.length), "end of file");
    } finally {
      kernel.close(p[0]);
      if (p[1] >= 0) {
        kernel.close(p[1]);
      }
    }
  }

  @Test
  void failuresCarryTheErrnoTheFakeIsScriptedWith() {
    assertEquals(Errno.EBADF, assertThrows(SyscallException.class, () -> kernel.close(-1)).errno());
    assertEquals(
        Errno.ESRCH,
        assertThrows(SyscallException.class, () -> kernel.pidfdOpen(Integer.MAX_VALUE - 1, 0))
            .errno());
    int[] p = kernel.pipe2(Syscalls.O_CLOEXEC);
    try {
      assertFalse(kernel.isTerminal(p[0]));
      assertEquals(
          Errno.ENOTTY,
          assertThrows(SyscallException.class, () -> kernel.windowSize(p[0])).errno());
    } finally {
      kernel.close(p[0]);
      kernel.close(p[1]);
    }
  }

  @Test
  void bothEndsOfAPseudoTerminalAreTerminalsAndAFileIsNot() {
    Pty pty = kernel.openPty();
    try {
      assertTrue(kernel.isTerminal(pty.master()));
      assertTrue(kernel.isTerminal(pty.slave()));
      assertTrue(Termios.isTerminal(pty.slave()), "the public helper asks the same");
    } finally {
      kernel.close(pty.master());
      kernel.close(pty.slave());
    }
    int fd = kernel.openat(Syscalls.AT_FDCWD, "/proc/self/status", Syscalls.O_CLOEXEC, 0);
    try {
      assertFalse(kernel.isTerminal(fd));
      assertFalse(Termios.isTerminal(fd));
    } finally {
      kernel.close(fd);
    }
    assertFalse(kernel.isTerminal(-1), "a closed descriptor is no terminal");
  }

  @Test
  void limitsAndIdsAreTheProcesses() {
    Rlimit nofile = kernel.prlimit64(0, Rlimit.RLIMIT_NOFILE);
    assertTrue(nofile.soft() > 0 && (nofile.hard() < 0 || nofile.soft() <= nofile.hard()));
    assertEquals(Syscalls.getuid(), kernel.getuid());
    assertEquals(Syscalls.getgid(), kernel.getgid());
    assertEquals("Linux", kernel.sysctl("kernel/ostype").orElseThrow());
  }
}
