package dev.robojail.sandbox;

import dev.robojail.ffm.Errno;
import dev.robojail.ffm.Kernel;
import dev.robojail.ffm.SigInfo;
import dev.robojail.ffm.SyscallException;
import dev.robojail.ffm.Syscalls;
import dev.robojail.net.EgressProxy;
import dev.robojail.net.HostRelay;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A running sandbox: a {@link Process} whose {@link #pid()} is the command's pid as seen from the
 * host. Its exit value is the command's exit code, or 128 + the signal that ended it.
 *
 * <p>{@link #destroy()} kills the sandbox's PID 1; with a PID namespace of its own (the default)
 * the kernel then kills every process of the sandbox.
 */
public final class SandboxProcess extends Process {
  private final Kernel kernel;
  private final int pid;
  private final int pidfd;
  private final EgressProxy egress;
  private final HostRelay hostRelay;
  private final Cgroup cgroup;
  private final int terminal;
  private final OutputStream stdin;
  private final InputStream stdout;
  private final InputStream stderr;
  private final CompletableFuture<Integer> exit = new CompletableFuture<>();
  private final Object lock = new Object();
  private boolean reaped;

  SandboxProcess(int pid, int pidfd, OutputStream stdin, InputStream stdout, InputStream stderr) {
    this(Kernel.linux(), pid, pidfd, null, null, null, -1, stdin, stdout, stderr);
  }

  SandboxProcess(
      Kernel kernel,
      int pid,
      int pidfd,
      EgressProxy egress,
      HostRelay hostRelay,
      Cgroup cgroup,
      int terminal,
      OutputStream stdin,
      InputStream stdout,
      InputStream stderr) {
    this.kernel = kernel;
    this.pid = pid;
    this.pidfd = pidfd;
    this.egress = egress;
    this.hostRelay = hostRelay;
    this.cgroup = cgroup;
    this.terminal = terminal;
    this.stdin = stdin;
    this.stdout = stdout;
    this.stderr = stderr;
    REAPERS.execute(this::reap);
  }

  /**
   * The threads that wait for sandboxes to end, one blocked in waitid per running sandbox: a
   * blocking native call would pin a virtual thread's carrier instead. They are kept for a minute
   * once idle, as the JDK keeps its own process reaper's, because making and ending a thread per
   * sandbox cost a warm JVM ~0.2 ms of each start (measured): a library that starts one sandbox
   * after another reuses the same thread. A thread serves one caller after another, so it takes
   * nothing of the caller that made it (no inheritable thread locals, robojail's own class loader
   * as its context's), and no caller's code runs on it ({@link #onExit()} completes
   * asynchronously).
   */
  private static final ExecutorService REAPERS =
      Executors.newCachedThreadPool(
          r -> {
            Thread t =
                Thread.ofPlatform()
                    .daemon()
                    .name("robojail-reaper")
                    .stackSize(256 * 1024)
                    .inheritInheritableThreadLocals(false)
                    .unstarted(r);
            t.setContextClassLoader(SandboxProcess.class.getClassLoader());
            return t;
          });

  private void reap() {
    // Named for its sandbox while it waits, for a thread dump.
    Thread self = Thread.currentThread();
    self.setName("robojail-reaper-" + pid);
    try {
      reapNow();
    } finally {
      self.setName("robojail-reaper");
    }
  }

  private void reapNow() {
    try {
      SigInfo info = kernel.waitid(Syscalls.P_PIDFD, pidfd, Syscalls.WEXITED);
      synchronized (lock) {
        reaped = true;
        kernel.close(pidfd);
      }
      // The whole sandbox is gone with its PID 1: nothing is left to use the proxy.
      if (egress != null) {
        egress.close();
      }
      if (hostRelay != null) {
        hostRelay.close();
      }
      // Before the exit is told: a command ends by halting the JVM as soon as waitFor returns,
      // which would otherwise cut the removal short and leave the cgroup behind.
      java.time.Instant now = java.time.Instant.now();
      if (cgroup != null) {
        cgroup.removeOwn();
      }
      exit.complete(info.exitStatus());
      if (cgroup != null) {
        cgroup.removeLeftovers(now);
      }
    } catch (RuntimeException e) {
      exit.completeExceptionally(e);
    } catch (Error e) {
      // told to the waiter, who would otherwise wait for ever, and to the thread's handler
      exit.completeExceptionally(e);
      throw e;
    }
  }

  /**
   * The egress proxy serving this sandbox, with {@link Network#proxy}; it closes, with every
   * connection through it, when the sandbox ends.
   */
  public Optional<EgressProxy> egress() {
    return Optional.ofNullable(egress);
  }

  /**
   * The relay of this sandbox's {@linkplain Network#hostPorts() host ports}, if it has any; it
   * closes, with every connection through it, when the sandbox ends.
   */
  public Optional<HostRelay> hostRelay() {
    return Optional.ofNullable(hostRelay);
  }

  /**
   * The master side of the sandbox's own terminal, for a spec with {@link Stdio#terminal} streams:
   * what is written to it is typed inside, what is read from it is what the sandbox shows. The
   * caller owns it (a {@link TerminalRelay} relays and closes it) and must close it.
   */
  public java.util.OptionalInt terminal() {
    return terminal < 0 ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(terminal);
  }

  @Override
  public long pid() {
    return pid;
  }

  @Override
  public OutputStream getOutputStream() {
    return stdin;
  }

  @Override
  public InputStream getInputStream() {
    return stdout;
  }

  @Override
  public InputStream getErrorStream() {
    return stderr;
  }

  @Override
  public int waitFor() throws InterruptedException {
    try {
      return exit.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("waiting for sandbox " + pid + " failed", e.getCause());
    }
  }

  @Override
  public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
    try {
      exit.get(timeout, unit);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      throw new IllegalStateException("waiting for sandbox " + pid + " failed", e.getCause());
    }
  }

  @Override
  public int exitValue() {
    Integer v = exit.getNow(null);
    if (v == null) {
      throw new IllegalThreadStateException("sandbox " + pid + " has not exited");
    }
    return v;
  }

  @Override
  public boolean isAlive() {
    return !exit.isDone();
  }

  /**
   * Completes once the sandbox has ended, as {@link Process#onExit()}; what depends on it runs in
   * the common pool, as for the JDK's own processes, never on the thread that reaped the sandbox.
   */
  @Override
  public CompletableFuture<Process> onExit() {
    return exit.handleAsync((v, e) -> this);
  }

  /**
   * Kills the sandbox with SIGKILL: its PID 1, and so every process in its PID namespace.
   *
   * @throws SyscallException if the kernel refuses for another reason than the sandbox having
   *     exited already
   */
  @Override
  public void destroy() {
    synchronized (lock) {
      if (reaped) {
        return;
      }
      sendSignal(Syscalls.SIGKILL);
    }
  }

  /**
   * Sends a signal to the sandbox's PID 1; with the init (the default) it passes the signal on to
   * the command's process group. Does nothing once the sandbox has exited.
   *
   * @throws SyscallException if the kernel refuses for another reason than the sandbox having
   *     exited already
   */
  public void signal(int signal) {
    synchronized (lock) {
      if (reaped) {
        return;
      }
      sendSignal(signal);
    }
  }

  private void sendSignal(int signal) {
    try {
      kernel.pidfdSendSignal(pidfd, signal);
    } catch (SyscallException e) {
      if (e.errno() != Errno.ESRCH) {
        throw e;
      }
      // it exited and awaits reaping: nothing to signal
    }
  }

  /**
   * Until the returned handle is closed, a JVM that is asked to stop (SIGTERM, SIGINT, SIGHUP,
   * {@code System.exit}) first passes SIGTERM on to the sandbox and gives it {@code grace} to end,
   * so that the command can clean up; after that the sandbox dies with the JVM anyway.
   */
  public ShutdownLink endWithJvm(java.time.Duration grace) {
    Thread hook =
        new Thread(
            () -> {
              signal(Syscalls.SIGTERM);
              try {
                waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "robojail-stop-" + pid);
    ShutdownHooks.add(hook);
    return () -> {
      try {
        ShutdownHooks.remove(hook);
      } catch (IllegalStateException e) {
        // the JVM is stopping: the hook is running or has run
      }
    };
  }

  /** Undoes {@link #endWithJvm}; closing it twice is harmless. */
  public interface ShutdownLink extends AutoCloseable {
    @Override
    void close();
  }

  @Override
  public Process destroyForcibly() {
    destroy();
    return this;
  }

  /** {@code false}: a sandbox is always ended with SIGKILL. */
  @Override
  public boolean supportsNormalTermination() {
    return false;
  }

  @Override
  public ProcessHandle toHandle() {
    return ProcessHandle.of(pid)
        .orElseThrow(() -> new IllegalStateException("sandbox " + pid + " has exited"));
  }

  @Override
  public String toString() {
    Integer v = exit.getNow(null);
    return "SandboxProcess[pid=" + pid + (v == null ? ", alive]" : ", exitValue=" + v + "]");
  }
}
