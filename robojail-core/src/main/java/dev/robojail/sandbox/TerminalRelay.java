package dev.robojail.sandbox;

import dev.robojail.ffm.Errno;
import dev.robojail.ffm.Kernel;
import dev.robojail.ffm.PollFd;
import dev.robojail.ffm.SyscallException;
import dev.robojail.ffm.Termios;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Gives a sandbox a pseudo-terminal of its own and relays it to the caller's terminal, the way
 * {@code ssh} or {@code docker run -t} do. The terminal comes from the sandbox's own {@code devpts}
 * ({@link Stdio#terminal}): the child makes it and hands its master side back, so that inside it is
 * {@code /dev/pts/N}, which {@code tty} and {@code ps} name. The sandbox then cannot reach the
 * user's terminal at all (no input injection, whatever the kernel's {@code TIOCSTI} setting), while
 * job control, Ctrl-C, Ctrl-Z and window resizes work inside: the caller's terminal is put in raw
 * mode, so those keys travel as bytes to the jail's terminal, whose line discipline turns them into
 * signals for the jail's own foreground job. The caller's terminal modes are restored when the
 * relay is closed, and by a shutdown hook if the JVM is ended by a signal.
 *
 * <p>What the jail writes reaches the caller's terminal through a {@link TerminalFilter}: a jail
 * may draw on the screen, but not write the clipboard, set titles, talk to a multiplexer through
 * its passthrough or make the terminal type back what it chose; and the screen modes it left on are
 * turned off when it ends.
 */
public final class TerminalRelay implements AutoCloseable {
  private static final int IN = 0;
  private static final int OUT = 1;
  private static final long RESIZE_POLL_MILLIS = 200;
  private static final int POLL_MILLIS = 100;
  private static final int INPUT_BUFFER = 4096;
  private static final int OUTPUT_BUFFER = 8192;

  private final Kernel kernel;
  // The master side of the jail's terminal, once the sandbox handed it over; -1 until then.
  private volatile int master = -1;
  // Which of the caller's descriptors 0, 1 and 2 are terminals, and where the jail's output goes:
  // the first terminal among 1, 2 and 0.
  private final boolean[] terminal;
  private final int screen;
  private final Termios saved;
  private final int[] size;
  private final Thread restoreOnExit;
  // Guarded by itself: the output thread filters, finish() and the shutdown hook restore.
  private final TerminalFilter filter = new TerminalFilter();
  private boolean modesRestored;
  // A failure that is not the terminal going away: a copying thread cannot throw to anyone, so
  // the first one is kept and thrown by finish().
  private final AtomicReference<SyscallException> failure = new AtomicReference<>();
  private Thread output;
  private Thread input;
  private Thread resize;
  private boolean closed;
  private volatile boolean stopped;

  TerminalRelay(Kernel kernel, int master, Termios saved) {
    this(kernel, new boolean[] {true, true, true}, saved, new int[] {24, 80});
    this.master = master;
  }

  private TerminalRelay(Kernel kernel, boolean[] terminal, Termios saved, int[] size) {
    this.kernel = kernel;
    this.terminal = terminal.clone();
    this.screen = terminal[OUT] ? OUT : terminal[2] ? 2 : IN;
    this.saved = saved;
    this.size = size.clone();
    this.restoreOnExit =
        new Thread(
            () -> {
              restoreModes();
              if (saved != null) {
                kernel.tcsets(IN, saved);
              }
            },
            "robojail-terminal-restore");
  }

  /**
   * Whether any of the caller's standard input, output and error is a terminal: then a sandbox must
   * get a terminal of its own instead of it, or it could read what the user types, change the
   * terminal's modes, or open it as {@code /dev/tty}.
   */
  public static boolean available() {
    return available(Kernel.linux());
  }

  static boolean available(Kernel kernel) {
    return kernel.isTerminal(IN) || kernel.isTerminal(OUT) || kernel.isTerminal(2);
  }

  /** Whether the caller's standard input is a terminal, which an interactive session needs. */
  public static boolean inputIsTerminal() {
    return Kernel.linux().isTerminal(IN);
  }

  /**
   * Puts the caller's terminal in raw mode (when standard input is one) and notes its size, for the
   * sandbox's terminal to be made the same size.
   */
  public static TerminalRelay open() {
    return open(Kernel.linux());
  }

  static TerminalRelay open(Kernel kernel) {
    boolean[] terminal = {kernel.isTerminal(IN), kernel.isTerminal(OUT), kernel.isTerminal(2)};
    // Keys are read, and the caller's terminal made raw, only when standard input is one.
    Termios saved = terminal[IN] ? kernel.tcgets(IN) : null;
    int screen = terminal[OUT] ? OUT : terminal[2] ? 2 : IN;
    TerminalRelay relay = new TerminalRelay(kernel, terminal, saved, kernel.windowSize(screen));
    ShutdownHooks.add(relay.restoreOnExit);
    if (saved != null) {
      kernel.tcsets(IN, saved.raw());
    }
    return relay;
  }

  /**
   * The builder, set up to have a terminal of its own, in a session of its own: each standard
   * stream that would have been one of the caller's terminals is the sandbox's own terminal instead
   * ({@link Stdio#terminal}, the caller's size); the others (a file, a pipe) stay as they were.
   * Relay it with {@link #relay(SandboxProcess)} once started.
   */
  public Sandbox.Builder attach(Sandbox.Builder b) {
    Sandbox.Streams streams = b.streamsSoFar();
    Stdio slave = Stdio.terminal(size[0], size[1]);
    if (replaces(streams.stdin(), IN)) {
      b.stdin(slave);
    }
    if (replaces(streams.stdout(), OUT)) {
      b.stdout(slave);
    }
    if (replaces(streams.stderr(), 2)) {
      b.stderr(slave);
    }
    return b.newSession(true).controllingTerminal(true);
  }

  private boolean replaces(Stdio stream, int fd) {
    return terminal[fd] && stream instanceof Stdio.Inherit;
  }

  /**
   * Relays until the sandbox exits and its output is drained; returns its exit status. Call right
   * after {@link Sandbox#start()} (or {@link Sandbox#join}) of a builder this relay {@linkplain
   * #attach attached}; the relay takes the sandbox's terminal and closes it.
   */
  public int relay(SandboxProcess p) throws InterruptedException {
    connect(p);
    int status = p.waitFor();
    finish();
    return status;
  }

  /**
   * Starts relaying the sandbox's terminal, if it has one of its own; the relay owns it from now
   * on. For callers that wait for the sandbox themselves, then call {@link #finish()}.
   */
  public void connect(SandboxProcess p) {
    if (p.terminal().isPresent()) {
      connect(p.terminal().getAsInt());
    }
  }

  void connect(int terminalMaster) {
    if (output == null) {
      master = terminalMaster;
      startCopying();
    }
  }

  /**
   * Once the sandbox has exited: lets the terminal hang up, copies what output is left, and stops
   * relaying. For callers that wait for the sandbox themselves.
   *
   * @throws SyscallException if relaying failed for another reason than a terminal hanging up
   */
  public void finish() throws InterruptedException {
    if (output == null) {
      return; // never connected: nothing was relayed
    }
    // Only the sandbox's processes hold the slave: once they are gone, the master reads end of
    // terminal (EIO) as soon as the last output is read.
    output.join(2000);
    restoreModes();
    resize.interrupt();
    stop();
    // The input thread polls, so it notices within one poll; only then may the master close,
    // or keys could be written to whatever file reuses its number.
    input.join(2000);
    SyscallException f = failure.getAndSet(null);
    if (f != null) {
      throw f;
    }
  }

  /** Tells the input loop to end at its next poll. */
  void stop() {
    stopped = true;
  }

  /** The first unexpected failure of a copying loop, or null. */
  SyscallException failure() {
    return failure.get();
  }

  /**
   * Copies keys to the jail's terminal, polling so that it can stop without a keystroke. Ends when
   * stopped, at end of input, when either terminal hangs up, or on a failure (kept for {@link
   * #finish}).
   */
  void copyInput() {
    byte[] buf = new byte[INPUT_BUFFER];
    try {
      while (!stopped) {
        short ready;
        try {
          ready = kernel.poll(IN, PollFd.POLLIN, POLL_MILLIS);
        } catch (SyscallException e) {
          if (e.errno() == Errno.EINTR) {
            continue; // a signal for the JVM, not for the relay
          }
          throw e;
        }
        if (ready == 0) {
          continue;
        }
        if (stopped || (ready & PollFd.POLLNVAL) != 0) {
          return;
        }
        // POLLIN, or POLLHUP/POLLERR: the read says which (data, end of file or EIO)
        int n = kernel.read(IN, buf, 0, buf.length);
        if (n <= 0) {
          return;
        }
        writeFully(master, buf, n);
      }
    } catch (SyscallException e) {
      endOrFail(e);
    }
  }

  /** Copies the jail's output to the caller's terminal until the jail's terminal hangs up. */
  void copyOutput() {
    byte[] buf = new byte[OUTPUT_BUFFER];
    try {
      while (true) {
        int n = kernel.read(master, buf, 0, buf.length);
        if (n <= 0) {
          return;
        }
        byte[] shown;
        synchronized (filter) {
          shown = filter.filter(buf, 0, n);
        }
        writeFully(screen, shown, shown.length);
      }
    } catch (SyscallException e) {
      endOrFail(e);
    }
  }

  /**
   * Turns off, once, what the jail's output left on in the user's terminal (the alternate screen,
   * mouse reporting, bracketed paste, a hidden cursor, keyboard protocols); see {@link
   * TerminalFilter#restore()}.
   */
  private void restoreModes() {
    byte[] reset;
    synchronized (filter) {
      if (modesRestored) {
        return;
      }
      modesRestored = true;
      reset = filter.restore();
    }
    try {
      writeFully(screen, reset, reset.length);
    } catch (SyscallException e) {
      // The user's terminal is gone: there is nothing left to restore.
    }
  }

  private void writeFully(int fd, byte[] buf, int n) {
    int done = 0;
    while (done < n) {
      done += kernel.write(fd, buf, done, n - done);
    }
  }

  /** EIO is a terminal hanging up (every process holding its other side is gone): the end. */
  private void endOrFail(SyscallException e) {
    if (e.errno() != Errno.EIO) {
      failure.compareAndSet(null, e);
    }
  }

  // Copying starts once the sandbox has handed its terminal over, before its command runs; keys
  // typed meanwhile wait in the caller's terminal.
  private void startCopying() {
    output = Thread.ofPlatform().daemon().name("robojail-terminal-out").start(this::copyOutput);
    input =
        Thread.ofPlatform()
            .daemon()
            .name("robojail-terminal-in")
            .start(terminal[IN] ? this::copyInput : () -> {});
    resize = Thread.ofPlatform().daemon().name("robojail-terminal-size").start(this::followSize);
  }

  private void followSize() {
    try {
      int[] last = kernel.windowSize(screen);
      while (true) {
        Thread.sleep(RESIZE_POLL_MILLIS);
        int[] now = kernel.windowSize(screen);
        if (!Arrays.equals(now, last)) {
          kernel.setWindowSize(master, now[0], now[1]); // the jail's job gets SIGWINCH
          last = now;
        }
      }
    } catch (InterruptedException e) {
      // the relay is over
    } catch (SyscallException e) {
      endOrFail(e);
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
    } finally {
      if (saved != null) {
        kernel.tcsets(IN, saved);
      }
      try {
        ShutdownHooks.remove(restoreOnExit);
      } catch (IllegalStateException e) {
        // the JVM is shutting down: the hook restores the terminal too, harmlessly
      }
      if (master >= 0) {
        kernel.close(master);
      }
    }
  }
}
