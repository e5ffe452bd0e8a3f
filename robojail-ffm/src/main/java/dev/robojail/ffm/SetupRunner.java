package dev.robojail.ffm;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts a child in new namespaces and has it execute a {@link SetupProgram} (ARCHITECTURE.md,
 * "Starting a jailed process from a JVM"): a small machine-code routine calls {@code clone3} with
 * {@code CLONE_VM} and a stack of its own, and the child walks the program's system calls without
 * touching Java, the C library or any JVM state. Java code never runs in the child.
 *
 * <p>The runner puts three steps in front of the caller's program: wait for the parent's go (which
 * comes after {@code beforeRelease}, e.g. once the id maps are written), clear the inherited signal
 * mask, and mark every inherited descriptor above 2 close-on-exec.
 */
public final class SetupRunner {
  private static final int STACK_SIZE = 64 * 1024;

  // CLONE_CLEAR_SIGHAND resets handled signals, but one the JVM was started with ignored (nohup, a
  // background job of a script) stays ignored through exec: Ctrl-C or a hang-up would then do
  // nothing to the child's command. Every disposition starts at its default, but for the two no
  // process can catch or ignore. Built once: the steps are the same for every child.
  private static final List<SetupProgram.Step> SIGNAL_RESETS = signalResets();

  /** Steps the runner adds in front of every program. */
  static final int PROLOGUE_STEPS = 3 + SIGNAL_RESETS.size();

  private static List<SetupProgram.Step> signalResets() {
    // struct kernel_sigaction all zero: SIG_DFL, no flags, no restorer, an empty mask.
    byte[] defaultAction = new byte[32];
    List<SetupProgram.Step> steps = new ArrayList<>();
    for (int sig = 1; sig <= Syscalls.SIGRTMAX; sig++) {
      if (sig != Syscalls.SIGKILL && sig != Syscalls.SIGSTOP) {
        steps.add(
            SetupProgram.Step.of(
                "rt_sigaction",
                Sysno.RT_SIGACTION,
                SetupProgram.Arg.of(sig),
                SetupProgram.Arg.bytes(defaultAction, "{SIG_DFL}"),
                SetupProgram.Arg.of(0, "NULL"),
                SetupProgram.Arg.of(8)));
      }
    }
    return List.copyOf(steps);
  }

  /** What the parent does between clone and release, such as writing the id maps. */
  @FunctionalInterface
  public interface ParentHook {
    void beforeRelease(int pid) throws Exception;
  }

  /**
   * A started child: it has exec'd its command.
   *
   * @param pid its pid, as seen from the caller's PID namespace
   * @param pidfd a descriptor for it (close-on-exec), to signal and wait without pid reuse races
   */
  public record Child(int pid, int pidfd) {}

  private SetupRunner() {}

  /** Whether this machine has a runner. */
  public static boolean supported() {
    return Native.supported();
  }

  /**
   * Clones a child with {@code cloneFlags} (namespace flags; the runner adds CLONE_VM, CLONE_PIDFD
   * and CLONE_CLEAR_SIGHAND), runs {@code beforeRelease}, lets the child execute {@code program},
   * and returns once the child has exec'd.
   *
   * @throws SetupStepException if a step failed; the child has been reaped
   * @throws SyscallException if clone3 itself failed
   * @throws UnsupportedOperationException on an architecture without a runner
   */
  public static Child start(SetupProgram program, long cloneFlags, ParentHook beforeRelease) {
    if (!supported()) {
      throw new UnsupportedOperationException(
          "robojail's setup runner exists for x86-64 only; "
              + System.getProperty("os.arch")
              + " is not supported yet");
    }
    int[] sync = Syscalls.pipe2(Syscalls.O_CLOEXEC);
    int[] exec;
    try {
      exec = Syscalls.pipe2(Syscalls.O_CLOEXEC);
    } catch (SyscallException e) {
      closeQuietly(sync[0], sync[1]);
      throw e;
    }
    int syncWrite = sync[1];
    int execRead = exec[0];
    try (Arena arena = Arena.ofConfined()) {
      List<SetupProgram.Step> steps = new ArrayList<>();
      steps.add(
          SetupProgram.Step.of(
                  "read",
                  Sysno.READ,
                  SetupProgram.Arg.of(sync[0], "sync"),
                  SetupProgram.Arg.buffer(8),
                  SetupProgram.Arg.of(1))
              .expecting(1));
      steps.add(
          SetupProgram.Step.of(
              "rt_sigprocmask",
              Sysno.RT_SIGPROCMASK,
              SetupProgram.Arg.of(Syscalls.SIG_SETMASK, "SIG_SETMASK"),
              SetupProgram.Arg.bytes(new byte[8], "{}"),
              SetupProgram.Arg.of(0, "NULL"),
              SetupProgram.Arg.of(8)));
      steps.addAll(SIGNAL_RESETS);
      steps.add(
          SetupProgram.Step.of(
              "close_range",
              Sysno.CLOSE_RANGE,
              SetupProgram.Arg.of(3),
              SetupProgram.Arg.of(0xffffffffL, "~0U"),
              SetupProgram.Arg.of(Syscalls.CLOSE_RANGE_CLOEXEC, "CLOSE_RANGE_CLOEXEC")));
      SetupProgram full = SetupProgram.of(steps).then(program.steps());

      MemorySegment cloneArgs = arena.allocate(CloneArgs.LAYOUT);
      MemorySegment pidfd = arena.allocate(JAVA_INT);
      pidfd.set(JAVA_INT, 0, -1);
      MemorySegment stack = arena.allocate(STACK_SIZE, 16);
      long flags =
          cloneFlags | Syscalls.CLONE_VM | Syscalls.CLONE_PIDFD | Syscalls.CLONE_CLEAR_SIGHAND;
      CloneArgs.FLAGS.set(cloneArgs, 0L, flags);
      CloneArgs.PIDFD.set(cloneArgs, 0L, pidfd.address());
      CloneArgs.EXIT_SIGNAL.set(cloneArgs, 0L, (long) Syscalls.SIGCHLD);
      CloneArgs.STACK.set(cloneArgs, 0L, stack.address());
      CloneArgs.STACK_SIZE.set(cloneArgs, 0L, (long) STACK_SIZE);
      MemorySegment header = full.marshal(arena, cloneArgs);

      long pid = Native.run(header);
      // The child holds its own copies now; the parent's would keep the exec pipe from EOF.
      closeQuietly(sync[0], exec[1]);
      if (pid < 0) {
        throw new SyscallException("clone3({flags=" + Flags.clone(flags) + "})", (int) -pid);
      }
      int fd = pidfd.get(JAVA_INT, 0);
      long failed;
      try {
        try {
          beforeRelease.beforeRelease((int) pid);
        } catch (Exception e) {
          throw e instanceof RuntimeException re
              ? re
              : new IllegalStateException(e.getMessage(), e);
        }
        Syscalls.writeFully(syncWrite, new byte[] {1});
        Syscalls.close(syncWrite);
        syncWrite = -1;
        // EOF on the exec pipe: the child exec'd (close-on-exec) or exited. Until then it runs on
        // this arena's memory, so the arena must stay open.
        MemorySegment buf = arena.allocate(16);
        while (Syscalls.read(execRead, buf, 16) > 0) {
          // nothing is ever written; only EOF matters
        }
        failed = header.get(JAVA_LONG, SetupProgram.Header.FAILED_STEP);
      } catch (Throwable t) {
        // Whatever failed (the hook, the release, the wait, even an Error), the child shares
        // this arena's memory through CLONE_VM and may still run on it: it must be dead and
        // reaped before the arena closes.
        try {
          syncWrite = closeQuietly(syncWrite); // a child the kill misses then ends at its read
          killAndReap(fd);
        } catch (RuntimeException | Error e) {
          t.addSuppressed(e);
        }
        throw t;
      }
      if (failed >= 0) {
        long errno = header.get(JAVA_LONG, SetupProgram.Header.FAILED_ERRNO);
        long result = header.get(JAVA_LONG, SetupProgram.Header.FAILED_RESULT);
        reap(fd);
        int index = (int) failed;
        if (index >= full.steps().size()) {
          throw new SetupStepException(index - PROLOGUE_STEPS);
        }
        throw new SetupStepException(
            index - PROLOGUE_STEPS, full.steps().get(index), (int) errno, result);
      }
      return new Child((int) pid, fd);
    } finally {
      closeQuietly(execRead, syncWrite);
    }
  }

  private static void killAndReap(int pidfd) {
    try {
      Syscalls.pidfdSendSignal(pidfd, Syscalls.SIGKILL);
    } catch (SyscallException e) {
      if (e.errno() != Errno.ESRCH) {
        closeQuietly(pidfd);
        throw e;
      }
      // it has exited already: only the reaping is left
    }
    reap(pidfd);
  }

  private static void reap(int pidfd) {
    try {
      Syscalls.waitid(Syscalls.P_PIDFD, pidfd, Syscalls.WEXITED);
    } finally {
      closeQuietly(pidfd);
    }
  }

  /** Closes the descriptors that are not -1; returns -1, for the caller's variable. */
  private static int closeQuietly(int... fds) {
    for (int fd : fds) {
      if (fd >= 0) {
        try {
          Syscalls.close(fd);
        } catch (SyscallException e) {
          if (e.errno() != Errno.EBADF) {
            throw e;
          }
          // already closed: nothing is left to release
        }
      }
    }
    return -1;
  }
}
