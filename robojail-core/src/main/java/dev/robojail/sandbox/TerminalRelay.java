package dev.robojail.sandbox;

import dev.robojail.ffm.Errno;
import dev.robojail.ffm.PollFd;
import dev.robojail.ffm.Pty;
import dev.robojail.ffm.SyscallException;
import dev.robojail.ffm.Syscalls;
import dev.robojail.ffm.Termios;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Gives a sandbox a pseudo-terminal of its own and relays it to the caller's terminal, the way
 * {@code ssh} or {@code docker run -t} do. The sandbox then cannot reach the user's terminal at all
 * (no input injection, whatever the kernel's {@code TIOCSTI} setting), while job control, Ctrl-C,
 * Ctrl-Z and window resizes work inside: the caller's terminal is put in raw mode, so those keys
 * travel as bytes to the jail's terminal, whose line discipline turns them into signals for the
 * jail's own foreground job. The caller's terminal modes are restored when the relay is closed, and
 * by a shutdown hook if the JVM is ended by a signal.
 */
public final class TerminalRelay implements AutoCloseable {
  private static final int IN = 0;
  private static final int OUT = 1;
  private static final long RESIZE_POLL_MILLIS = 200;
  private static final int POLL_MILLIS = 100;

  private final Pty pty;
  private final Termios saved;
  private final Thread restoreOnExit;
  private Thread output;
  private Thread input;
  private Thread resize;
  private boolean closed;
  private boolean slaveClosed;
  private volatile boolean stopped;

  private TerminalRelay(Pty pty, Termios saved) {
    this.pty = pty;
    this.saved = saved;
    this.restoreOnExit = new Thread(() -> saved.set(IN), "robojail-terminal-restore");
  }

  /** Whether the caller's standard input and output are a terminal to relay. */
  public static boolean available() {
    return Termios.isTerminal(IN) && Termios.isTerminal(OUT);
  }

  /** Opens a pseudo-terminal the size of the caller's and puts the caller's in raw mode. */
  public static TerminalRelay open() {
    Pty pty = Pty.open();
    try {
      int[] size = Pty.size(IN);
      Pty.setSize(pty.master(), size[0], size[1]);
      Termios saved = Termios.get(IN);
      TerminalRelay relay = new TerminalRelay(pty, saved);
      Runtime.getRuntime().addShutdownHook(relay.restoreOnExit);
      saved.raw().set(IN);
      relay.startCopying();
      return relay;
    } catch (RuntimeException e) {
      Syscalls.close(pty.master());
      Syscalls.close(pty.slave());
      throw e;
    }
  }

  /** The builder, set up to use this terminal as the sandbox's standard streams and its own. */
  public Sandbox.Builder attach(Sandbox.Builder b) {
    return b.stdin(Stdio.descriptor(pty.slave()))
        .stdout(Stdio.descriptor(pty.slave()))
        .stderr(Stdio.descriptor(pty.slave()))
        .newSession(true)
        .controllingTerminal(true);
  }

  /**
   * Relays until the sandbox exits and its output is drained; returns its exit status. Call right
   * after {@link Sandbox#start()}.
   */
  public int relay(SandboxProcess p) throws InterruptedException {
    int status = p.waitFor();
    finish();
    return status;
  }

  /**
   * Once the sandbox has exited: lets the terminal hang up, copies what output is left, and stops
   * relaying. For callers that wait for the sandbox themselves.
   */
  public void finish() throws InterruptedException {
    // The sandbox's processes held the slave; with the caller's copy closed too, the master
    // reads end of terminal (EIO) as soon as the last output is read.
    closeSlave();
    output.join(2000);
    resize.interrupt();
    stopped = true;
    // The input thread polls, so it notices within one poll; only then may the master close,
    // or keys could be written to whatever file reuses its number.
    input.join(2000);
  }

  /** Copies keys to the jail's terminal, polling so that it can stop without a keystroke. */
  private void copyInput() {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment buf = a.allocate(4096);
      while (!stopped) {
        short ready;
        try {
          ready = Syscalls.poll(IN, PollFd.POLLIN, POLL_MILLIS);
        } catch (SyscallException e) {
          if (e.errno() == Errno.EINTR) {
            continue;
          }
          return;
        }
        if (ready == 0) {
          continue;
        }
        if (stopped) {
          return;
        }
        int n = Syscalls.read(IN, buf, buf.byteSize());
        if (n <= 0) {
          return;
        }
        long done = 0;
        while (done < n) {
          done += Syscalls.write(pty.master(), buf.asSlice(done), n - done);
        }
      }
    } catch (SyscallException e) {
      // the jail's terminal is gone
    }
  }

  // Copying starts before the sandbox does: its first output must not wait in a full buffer,
  // and keys typed meanwhile wait in the jail's terminal for whoever reads it first.
  private void startCopying() {
    output =
        Thread.ofPlatform()
            .daemon()
            .name("robojail-terminal-out")
            .start(() -> copy(pty.master(), OUT));
    input = Thread.ofPlatform().daemon().name("robojail-terminal-in").start(this::copyInput);
    resize = Thread.ofPlatform().daemon().name("robojail-terminal-size").start(this::followSize);
  }

  private void followSize() {
    int[] last = Pty.size(IN);
    try {
      while (true) {
        Thread.sleep(RESIZE_POLL_MILLIS);
        int[] now = Pty.size(IN);
        if (!Arrays.equals(now, last)) {
          Pty.setSize(pty.master(), now[0], now[1]); // the jail's foreground job gets SIGWINCH
          last = now;
        }
      }
    } catch (InterruptedException | SyscallException e) {
      // the relay is over
    }
  }

  private static void copy(int from, int to) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment buf = a.allocate(8192);
      while (true) {
        int n = Syscalls.read(from, buf, buf.byteSize());
        if (n <= 0) {
          return;
        }
        long done = 0;
        while (done < n) {
          done += Syscalls.write(to, buf.asSlice(done), n - done);
        }
      }
    } catch (SyscallException e) {
      // EIO from the master: the jail's terminal hung up (every process holding it is gone)
    }
  }

  /** Restores the caller's terminal and closes the pseudo-terminal. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      finish();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    saved.set(IN);
    try {
      Runtime.getRuntime().removeShutdownHook(restoreOnExit);
    } catch (IllegalStateException e) {
      // the JVM is shutting down: the hook restores the terminal too, harmlessly
    }
    closeSlave();
    Syscalls.close(pty.master());
  }

  private void closeSlave() {
    if (!slaveClosed) {
      slaveClosed = true;
      Syscalls.close(pty.slave());
    }
  }
}
