package dev.robojail.ffm;

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
 * mask, and mark every inherited descriptor above 2 close-on-exec. With a {@code beforeExec} hook
 * it also puts a second wait in front of the program's last step (the exec), so that what that hook
 * does runs while the child sets itself up, and is done before anything of the caller's runs.
 */
public final class SetupRunner {
  private static final int STACK_SIZE = 64 * 1024;

  // CLONE_CLEAR_SIGHAND resets handled signals, but one the JVM was started with ignored (nohup, a
  // background job of a script) stays ignored through exec: Ctrl-C or a hang-up would then do
  // nothing to the child's command. Every disposition starts at its default, but for the two no
  // process can catch or ignore. Built once: the steps are the same for every child.
  private static final List<SetupProgram.Step> SIGNAL_RESETS = signalResets();

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

  /**
   * What the parent does for the child it cloned: before the release, such as writing the id maps,
   * or while the child sets up, before it may exec.
   */
  @FunctionalInterface
  public interface ParentHook {
    void beforeRelease(int pid) throws Exception;
  }

  /**
   * The cgroup a child is born in, instead of its cloning thread's, so that it counts there from
   * its first instruction and nobody has to move it. With cgroup v2, clone3's {@code
   * CLONE_INTO_CGROUP} with a descriptor of the cgroup's directory. With v1, which has no such
   * flag, the cloning thread moves itself into the cgroup of each hierarchy right before clone3 and
   * back right after it (a child starts in its cloning thread's cgroups); nothing but the clone3
   * downcall runs in between. It moves by writing {@code "0"}, the writer itself, into each {@code
   * tasks}: the kernel moves one thread that is the writer without the lock every threadgroup
   * shares, so it waits for no RCU grace period, which a move by its thread id does (7-13 ms
   * measured on the project's machines, against 0.05-0.1 ms).
   *
   * <p>Used on one thread at a time, the cloning one; the caller opens and closes the descriptors.
   */
  public static final class Birthplace {
    private static final byte[] SELF = {'0'};

    private final int directory;
    private final int[] enter;
    private final int[] leave;
    private final int[] self;
    private boolean stranded;

    private Birthplace(int directory, int[] enter, int[] leave, int[] self) {
      this.directory = directory;
      this.enter = enter.clone();
      this.leave = leave.clone();
      this.self = self.clone();
    }

    /** cgroup v2: born in the cgroup whose directory {@code fd} is open (not {@code O_PATH}). */
    public static Birthplace directory(int fd) {
      return new Birthplace(fd, new int[0], new int[0], new int[0]);
    }

    /**
     * cgroup v1, for a cgroup no thread of the caller's may enter: not born there, but the child
     * moves itself in, writing {@code "0"} into each of {@code tasks} (open for writing) as its
     * last steps before its first exec, so that nothing it execs runs outside, and no grace period
     * is waited for, as a move by pid would.
     */
    public static Birthplace bySelf(int[] tasks) {
      return new Birthplace(-1, new int[0], new int[0], tasks);
    }

    /**
     * cgroup v1: born where the cloning thread goes by writing into each of {@code enter} (the
     * child's cgroups' {@code tasks}, one per hierarchy, open for writing), and the thread goes
     * back through each of {@code leave} (its own cgroups' {@code tasks}).
     */
    public static Birthplace byThread(int[] enter, int[] leave) {
      return byThread(enter, leave, new int[0]);
    }

    /**
     * As {@link #byThread(int[], int[])}, and the child moves itself into each of {@code self}
     * before its first exec, as with {@link #bySelf}: for the memory hierarchy, where its setup,
     * done in the caller's memory (CLONE_VM), must not be charged.
     */
    public static Birthplace byThread(int[] enter, int[] leave, int[] self) {
      return new Birthplace(-1, enter, leave, self);
    }

    /**
     * Whether the cloning thread may still be in the child's cgroup, because a move back failed: it
     * must clone nothing else until it is back (children inherit its cgroups), and that cgroup
     * cannot be removed while it is there.
     */
    public boolean stranded() {
      return stranded;
    }

    // Every hierarchy or none: a move that fails part way is undone.
    private void enter() {
      for (int fd : enter) {
        try {
          Syscalls.writeFully(fd, SELF);
        } catch (SyscallException e) {
          SyscallException undo = leave();
          SyscallException failed =
              new SyscallException("write(" + fd + ", \"0\") into the child's cgroup", e.errno());
          if (undo != null) {
            failed.addSuppressed(undo);
          }
          throw failed;
        }
      }
    }

    // Tries every hierarchy; returns the first failure, null when the thread is back in all.
    private SyscallException leave() {
      // until every move back has worked, even if something other than a write's failure ends it
      stranded = leave.length > 0;
      SyscallException first = null;
      for (int fd : leave) {
        try {
          Syscalls.writeFully(fd, SELF);
        } catch (SyscallException e) {
          if (first == null) {
            first =
                new SyscallException(
                    "write(" + fd + ", \"0\") back into the cloning thread's own cgroup",
                    e.errno());
          }
        }
      }
      stranded = first != null;
      return first;
    }
  }

  /**
   * A started child: it has exec'd its command.
   *
   * @param pid its pid, as seen from the caller's PID namespace
   * @param pidfd a descriptor for it (close-on-exec), to signal and wait without pid reuse races
   */
  public record Child(int pid, int pidfd) {}

  private SetupRunner() {}

  // The index of the program's first execve or execveat, or of its last step if it has none.
  private static int firstExec(List<SetupProgram.Step> program) {
    for (int i = 0; i < program.size(); i++) {
      long nr = program.get(i).nr();
      if (nr == Sysno.EXECVE || nr == Sysno.EXECVEAT) {
        return i;
      }
    }
    return program.size() - 1;
  }

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
    return start(program, cloneFlags, beforeRelease, null);
  }

  /**
   * As {@link #start(SetupProgram, long, ParentHook)}, and runs {@code beforeExec} after the
   * release, while the child runs the program, which waits before its last step until that hook has
   * returned. For work the program's steps do not need but what it execs must not run without, and
   * that mostly waits (moving the child into a cgroup waits for an RCU grace period, some
   * milliseconds): it then costs the parent's wait, not the child's setup plus the wait. When the
   * hook throws, the child ends at that wait without exec'ing, and the hook's exception is thrown,
   * unless a step before it failed first.
   *
   * @param beforeExec null for none
   */
  public static Child start(
      SetupProgram program, long cloneFlags, ParentHook beforeRelease, ParentHook beforeExec) {
    return start(program, cloneFlags, beforeRelease, beforeExec, null);
  }

  /**
   * As {@link #start(SetupProgram, long, ParentHook, ParentHook)}, with the child born in the
   * cgroup {@code born} names.
   *
   * @param born null for the cloning thread's cgroups
   * @throws SyscallException also if the cloning thread could not move into the child's cgroup, or
   *     back out of it ({@link Birthplace#stranded()}; a child made meanwhile has been reaped)
   */
  public static Child start(
      SetupProgram program,
      long cloneFlags,
      ParentHook beforeRelease,
      ParentHook beforeExec,
      Birthplace born) {
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
    int[] gate = {-1, -1};
    if (beforeExec != null) {
      try {
        gate = Syscalls.pipe2(Syscalls.O_CLOEXEC);
      } catch (SyscallException e) {
        closeQuietly(sync[0], sync[1], exec[0], exec[1]);
        throw e;
      }
    }
    int syncWrite = sync[1];
    int execRead = exec[0];
    int gateWrite = gate[1];
    // the index, in the full program, of the wait before the first exec; -1 without it
    int gateStep = -1;
    // where the steps put before the first exec (the gate, the child's own moves) begin, and how
    // many there are
    int insertAt = -1;
    int inserted = 0;
    try (Arena arena = Arena.ofConfined()) {
      List<SetupProgram.Step> steps = new ArrayList<>();
      // The child's own copies of the write ends go first: the parent's alone then keep its
      // waits open, so that a parent which gives up (or dies) before its go ends them with EOF
      // instead of leaving the child blocked for ever on memory nobody owns.
      steps.add(closing(sync[1], "sync"));
      if (beforeExec != null) {
        steps.add(closing(gate[1], "exec gate"));
      }
      steps.add(waitingOn(sync[0], "sync"));
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
      int prologue = steps.size();
      List<SetupProgram.Step> caller = program.steps();
      int[] moves = born == null ? new int[0] : born.self;
      if ((beforeExec != null || moves.length > 0) && !caller.isEmpty()) {
        // Before the first exec, not the last step: a PATH lookup is one execve per candidate,
        // each but the last tolerating ENOENT, and any of them may be the one that runs.
        int firstExec = firstExec(caller);
        steps.addAll(caller.subList(0, firstExec));
        insertAt = steps.size();
        if (beforeExec != null) {
          gateStep = steps.size();
          steps.add(waitingOn(gate[0], "exec gate"));
        }
        for (int fd : moves) {
          steps.add(
              SetupProgram.Step.of(
                      "write",
                      Sysno.WRITE,
                      SetupProgram.Arg.of(fd, "tasks"),
                      SetupProgram.Arg.bytes(new byte[] {'0'}, "\"0\""),
                      SetupProgram.Arg.of(1))
                  .expecting(1));
        }
        inserted = steps.size() - insertAt;
        steps.addAll(caller.subList(firstExec, caller.size()));
      } else {
        steps.addAll(caller);
      }
      SetupProgram full = SetupProgram.of(steps);

      // a long the kernel stores the pidfd's int into; -1 until then
      MemorySegment pidfd = Structs.longs(arena, -1L);
      // fresh pages: Arena.allocate would zero all of it in a Java loop first
      MemorySegment stack = Native.pages(arena, STACK_SIZE);
      long flags =
          cloneFlags | Syscalls.CLONE_VM | Syscalls.CLONE_PIDFD | Syscalls.CLONE_CLEAR_SIGHAND;
      long cgroup = 0;
      if (born != null && born.directory >= 0) {
        flags |= Syscalls.CLONE_INTO_CGROUP;
        cgroup = born.directory;
      }
      MemorySegment cloneArgs =
          CloneArgs.of(
              arena, flags, pidfd.address(), Syscalls.SIGCHLD, stack.address(), STACK_SIZE, cgroup);
      MemorySegment header = full.marshal(arena, cloneArgs);

      long pid = -1;
      SyscallException stranded = null;
      try {
        // As late as can be: while the thread is in the child's cgroup it counts there, and any
        // thread it started would stay there.
        if (born != null) {
          born.enter();
        }
        try {
          pid = Native.run(header);
        } finally {
          if (born != null) {
            stranded = born.leave();
          }
        }
      } catch (RuntimeException | Error e) {
        closeQuietly(sync[0], exec[1], gate[0]);
        if (pid > 0) {
          // Cloned, then something failed (even an Error in the move back): the child runs on this
          // arena's memory, which closes on the way out, so it must be dead and reaped first.
          try {
            syncWrite = closeQuietly(syncWrite);
            gateWrite = closeQuietly(gateWrite);
            killAndReap((int) Structs.longAt(pidfd, 0));
          } catch (RuntimeException | Error again) {
            e.addSuppressed(again);
          }
        }
        throw e;
      }
      // The child holds its own copies now; the parent's would keep the exec pipe from EOF.
      closeQuietly(sync[0], exec[1], gate[0]);
      if (pid < 0) {
        SyscallException e =
            new SyscallException(
                "clone3({flags="
                    + Flags.clone(flags)
                    + (cgroup != 0 ? ", cgroup=" + cgroup : "")
                    + "})",
                (int) -pid);
        if (stranded != null) {
          e.addSuppressed(stranded);
        }
        throw e;
      }
      int fd = (int) Structs.longAt(pidfd, 0);
      long failed;
      RuntimeException late = null;
      try {
        if (stranded != null) {
          // The child is where it belongs, but the caller must know the thread is not back.
          throw stranded;
        }
        try {
          beforeRelease.beforeRelease((int) pid);
        } catch (Exception e) {
          throw unchecked(e);
        }
        Syscalls.writeFully(syncWrite, new byte[] {1});
        Syscalls.close(syncWrite);
        syncWrite = -1;
        if (beforeExec != null) {
          try {
            beforeExec.beforeRelease((int) pid);
            Syscalls.writeFully(gateWrite, new byte[] {1});
          } catch (Exception e) {
            // closed unopened below: the child reads EOF at its gate and ends there
            late = unchecked(e);
          }
          gateWrite = closeQuietly(gateWrite);
        }
        // EOF on the exec pipe: the child exec'd (close-on-exec) or exited. Until then it runs on
        // this arena's memory, so the arena must stay open.
        MemorySegment buf = arena.allocate(16);
        while (Syscalls.read(execRead, buf, 16) > 0) {
          // nothing is ever written; only EOF matters
        }
        failed = Structs.longAt(header, SetupProgram.Header.FAILED_STEP);
      } catch (Throwable t) {
        // Whatever failed (the hook, the release, the wait, even an Error), the child shares
        // this arena's memory through CLONE_VM and may still run on it: it must be dead and
        // reaped before the arena closes.
        try {
          // a child the kill misses then ends at its read
          syncWrite = closeQuietly(syncWrite);
          gateWrite = closeQuietly(gateWrite);
          killAndReap(fd);
        } catch (RuntimeException | Error e) {
          t.addSuppressed(e);
        }
        throw t;
      }
      if (failed >= 0) {
        long errno = Structs.longAt(header, SetupProgram.Header.FAILED_ERRNO);
        long result = Structs.longAt(header, SetupProgram.Header.FAILED_RESULT);
        reap(fd);
        int index = (int) failed;
        if (late != null && index == gateStep) {
          throw late;
        }
        if (index != gateStep && index >= insertAt && index < insertAt + inserted) {
          // one of the child's own moves: no step of the caller's program
          SyscallException move =
              new SyscallException(
                  "write("
                      + born.self[index - insertAt - (gateStep >= 0 ? 1 : 0)]
                      + ", \"0\") moving the child into its cgroup",
                  (int) errno);
          if (late != null) {
            move.addSuppressed(late);
          }
          throw move;
        }
        SetupStepException e;
        if (index >= full.steps().size()) {
          e = new SetupStepException(program.steps().size());
        } else {
          // the caller's index: the gate and the moves are no steps of its program
          int own =
              index - prologue - (insertAt >= 0 && index >= insertAt + inserted ? inserted : 0);
          e = new SetupStepException(own, full.steps().get(index), (int) errno, result);
        }
        if (late != null) {
          e.addSuppressed(late);
        }
        throw e;
      }
      if (late != null) {
        // not reached: without the gate's byte the child cannot exec
        killAndReap(fd);
        throw late;
      }
      return new Child((int) pid, fd);
    } finally {
      closeQuietly(execRead, syncWrite, gateWrite);
    }
  }

  /** Reads the parent's one byte of go; EOF (a parent that gave up) fails the step. */
  private static SetupProgram.Step waitingOn(int fd, String what) {
    return SetupProgram.Step.of(
            "read",
            Sysno.READ,
            SetupProgram.Arg.of(fd, what),
            SetupProgram.Arg.buffer(8),
            SetupProgram.Arg.of(1))
        .expecting(1);
  }

  private static SetupProgram.Step closing(int fd, String what) {
    return SetupProgram.Step.of("close", Sysno.CLOSE, SetupProgram.Arg.of(fd, what + " (write)"));
  }

  private static RuntimeException unchecked(Exception e) {
    return e instanceof RuntimeException re ? re : new IllegalStateException(e.getMessage(), e);
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
