package dev.robojail.sandbox;

import static dev.robojail.ffm.FakeKernel.errno;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.Errno;
import dev.robojail.ffm.FakeKernel;
import dev.robojail.ffm.PollFd;
import dev.robojail.ffm.SyscallException;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * What the terminal relay does with each answer of the kernel, against a recording fake: no
 * terminal needed. The real thing is {@link TerminalRelayTest}.
 */
class TerminalRelayDecisionsTest {
  private static final int MASTER = 50;

  private final FakeKernel kernel = new FakeKernel();
  private final TerminalRelay relay = new TerminalRelay(kernel, MASTER, kernel.tcgets(0));

  @Test
  void outputIsCopiedWholeThroughShortWritesUntilTheJailsTerminalHangsUp() {
    kernel.on("read", "hello".getBytes(UTF_8), errno("read(50, 8192)", Errno.EIO));
    kernel.on("write", 2); // a short write; the rest goes by default
    relay.copyOutput();
    assertEquals("hello", new String(kernel.written(1), UTF_8));
    assertEquals(List.of("write(1, 5)", "write(1, 3)"), kernel.calls("write"));
    assertEquals(List.of("read(50, 8192)", "read(50, 8192)"), kernel.calls("read"));
    assertNull(relay.failure(), "EIO from the master is the end, not a failure");
  }

  @Test
  void outputEndsAtEndOfFile() {
    kernel.on("read", 0);
    relay.copyOutput();
    assertEquals(List.of(), kernel.calls("write"));
    assertNull(relay.failure());
  }

  @Test
  void anotherErrnoThanEioIsAFailureThatFinishReports() {
    SyscallException badf = errno("read(50, 8192)", Errno.EBADF);
    kernel.on("read", badf);
    relay.copyOutput();
    assertSame(badf, relay.failure());
  }

  @Test
  void inputRetriesPollOnEintrAndTimeoutsThenCopiesKeysUntilHangup() {
    kernel.on(
        "poll",
        errno("poll", Errno.EINTR),
        (short) 0,
        PollFd.POLLIN,
        (short) (PollFd.POLLIN | PollFd.POLLHUP));
    kernel.on("read", "ab".getBytes(UTF_8), 0);
    relay.copyInput();
    assertEquals(4, kernel.calls("poll").size());
    assertEquals(List.of("read(0, 4096)", "read(0, 4096)"), kernel.calls("read"));
    assertEquals("ab", new String(kernel.written(MASTER), UTF_8));
    assertNull(relay.failure());
  }

  @Test
  void inputEndsQuietlyWhenTheCallersTerminalHangsUp() {
    kernel.on("poll", PollFd.POLLHUP);
    kernel.on("read", errno("read(0, 4096)", Errno.EIO));
    relay.copyInput();
    assertEquals(List.of("read(0, 4096)"), kernel.calls("read"));
    assertNull(relay.failure());
  }

  @Test
  void inputDoesNotReadAClosedDescriptor() {
    kernel.on("poll", PollFd.POLLNVAL);
    relay.copyInput();
    assertEquals(List.of(), kernel.calls("read"));
    assertNull(relay.failure());
  }

  @Test
  void inputStopsAtThePollAfterStopWithoutReading() {
    kernel.on(
        "poll",
        (Supplier<Object>)
            () -> {
              relay.stop();
              return PollFd.POLLIN; // a key came with the stop: it stays in the caller's terminal
            });
    relay.copyInput();
    assertEquals(1, kernel.calls("poll").size());
    assertEquals(List.of(), kernel.calls("read"));
  }

  @Test
  void keysAreWrittenWholeThroughShortWrites() {
    kernel.on("poll", PollFd.POLLIN, PollFd.POLLIN);
    kernel.on("read", "abc".getBytes(UTF_8), 0);
    kernel.on("write", 1, 1);
    relay.copyInput();
    assertEquals(List.of("write(50, 3)", "write(50, 2)", "write(50, 1)"), kernel.calls("write"));
    assertArrayEquals("abc".getBytes(UTF_8), kernel.written(MASTER));
  }

  @Test
  void aPollFailureOtherThanEintrEndsInputAndIsReported() {
    SyscallException inval = errno("poll", Errno.EINVAL);
    kernel.on("poll", inval);
    relay.copyInput();
    assertSame(inval, relay.failure());
  }

  @Test
  void finishThrowsAFailureAndCloseStillRestoresTheTerminalAndClosesTheMaster() throws Exception {
    // available() stops at the first terminal; open() asks about 0, 1 and 2.
    kernel.on("is_terminal", true, true, true, true);
    assertTrue(TerminalRelay.available(kernel));
    kernel.on("read", errno("read(50, 8192)", Errno.EBADF));
    kernel.always(
        "poll",
        (Supplier<Object>)
            () -> {
              try {
                Thread.sleep(5); // poll's timeout passing, so that the loop does not spin
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return (short) 0;
            });
    TerminalRelay r = TerminalRelay.open(kernel);
    assertEquals(List.of(), kernel.calls("open_pty"), "the sandbox makes its own terminal");
    Sandbox.Builder b = r.attach(Sandbox.builder());
    assertEquals(Stdio.terminal(24, 80), b.streamsSoFar().stdin());
    assertEquals(Stdio.terminal(24, 80), b.streamsSoFar().stderr());
    r.connect(MASTER);
    SyscallException e = assertThrows(SyscallException.class, r::close);
    assertEquals(Errno.EBADF, e.errno());
    assertEquals(List.of("tcsets(0)", "tcsets(0)"), kernel.calls("tcsets"), "raw, then restored");
    assertTrue(kernel.calls("close").contains("close(50)"), kernel.calls("close").toString());
    int closes = kernel.calls("close").size();
    r.close(); // a second close does nothing
    assertEquals(closes, kernel.calls("close").size());
  }
}
