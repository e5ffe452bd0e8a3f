package dev.robojail.sandbox;

import dev.robojail.ffm.Errno;
import dev.robojail.ffm.FdInputStream;
import dev.robojail.ffm.FdOutputStream;
import dev.robojail.ffm.Kernel;
import dev.robojail.ffm.SetupProgram;
import dev.robojail.ffm.SetupRunner;
import dev.robojail.ffm.SetupStepException;
import dev.robojail.ffm.SyscallException;
import dev.robojail.ffm.Syscalls;
import dev.robojail.net.EgressPolicy;
import dev.robojail.net.EgressProxy;
import dev.robojail.net.HostPorts;
import dev.robojail.net.HostRelay;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Starts sandboxes. Every clone happens on one long-lived thread: the kernel's "parent died" signal
 * follows the thread that cloned, so a short-lived caller thread would take its sandboxes with it
 * when it ends.
 */
final class Spawner {
  private static final ExecutorService THREAD =
      Executors.newSingleThreadExecutor(
          r -> Thread.ofPlatform().daemon().name("robojail-spawner").unstarted(r));

  private static final int SOCK_STREAM = 1;

  private Spawner() {}

  static SandboxProcess start(Sandbox s) {
    return spawn(s, null);
  }

  /**
   * Starts a second session of a running sandbox made from the same spec: see {@link
   * SetupPlan#join}. The session's processes join the sandbox's cgroup, if it has one.
   *
   * @param target the running sandbox's PID 1, whose pidfd the caller has checked is still the
   *     process it means
   */
  static SandboxProcess join(Sandbox s, Target target) {
    return spawn(s, target);
  }

  /**
   * A running sandbox's PID 1.
   *
   * @param pid its pid, as the caller sees it
   * @param pidfd a pidfd the caller opened for it, then checked; the caller keeps and closes it
   */
  record Target(int pid, int pidfd) {}

  /**
   * A TCP connection to {@code 127.0.0.1:port} in the network of the running sandbox whose PID 1
   * {@code target} is, made by a helper child that joins the sandbox's user and network namespaces
   * ({@link SetupPlan#connect}); the caller owns the returned socket.
   *
   * @throws SandboxException.SetupFailed if the connection is refused ({@code ECONNREFUSED}) or the
   *     sandbox cannot be joined
   */
  static int connect(Target target, int port) {
    Kernel kernel = Kernel.linux();
    int[] handover = kernel.socketpair(Syscalls.AF_UNIX, SOCK_STREAM | Syscalls.O_CLOEXEC);
    try {
      SetupProgram program = SetupPlan.connect(target.pidfd(), port, handover[1]);
      SetupRunner.Child child;
      try {
        child = onSpawnerThread(() -> SetupRunner.start(program, 0, pid -> {}));
      } catch (SetupStepException e) {
        Stage stage = Stage.of(program, e.step());
        throw new SandboxException.SetupFailed(
            (stage == Stage.JOIN ? "cannot join the sandbox: " : "") + e.getMessage(),
            e.step(),
            e.call(),
            e.errno(),
            e);
      }
      // the helper exited once it sent the socket (the exec pipe's EOF came with its exit)
      kernel.waitid(Syscalls.P_PIDFD, child.pidfd(), Syscalls.WEXITED);
      kernel.close(child.pidfd());
      int fd = kernel.receiveDescriptor(handover[0]);
      if (fd < 0) {
        throw new SandboxException("the helper sent no socket");
      }
      return fd;
    } finally {
      closeAll(kernel, new ArrayList<>(List.of(handover[0], handover[1])));
    }
  }

  private static SandboxProcess spawn(Sandbox s, Target join) {
    Kernel kernel = Kernel.linux();
    List<Integer> parentEnds = new ArrayList<>();
    List<Integer> childEnds = new ArrayList<>();
    List<Integer> cgroupFds = new ArrayList<>();
    int handoverEnd = -1;
    int terminalEnd = -1;
    try {
      int[] in = stream(kernel, s.streams().stdin(), 0, parentEnds, childEnds);
      int[] out = stream(kernel, s.streams().stdout(), 1, parentEnds, childEnds);
      int[] err =
          s.streams().redirectErrorStream()
              ? new int[] {-1, -1}
              : stream(kernel, s.streams().stderr(), 2, parentEnds, childEnds);
      int[] handover = {-1, -1};
      // A joining session uses the proxy and host ports the first session serves, in the same
      // network.
      if (join == null && s.network().handsOver()) {
        handover = kernel.socketpair(Syscalls.AF_UNIX, SOCK_STREAM | Syscalls.O_CLOEXEC);
        childEnds.add(handover[1]);
        handoverEnd = handover[0];
      }
      int[] terminal = {-1, -1};
      if (hasOwnTerminal(s.streams())) {
        terminal = kernel.socketpair(Syscalls.AF_UNIX, SOCK_STREAM | Syscalls.O_CLOEXEC);
        childEnds.add(terminal[1]);
        terminalEnd = terminal[0];
      }
      SetupPlan.Descriptors fds =
          new SetupPlan.Descriptors(in[1], out[1], err[1], handover[1], terminal[1]);
      HostFacts facts = HostFacts.probe(s);
      SetupProgram program =
          join == null ? program(s, facts, fds) : SetupPlan.join(s, facts, join.pidfd(), fds);
      long flags = 0;
      if (join == null) {
        for (Namespace n : s.namespaces()) {
          flags |= n.cloneFlag();
        }
      }
      long cloneFlags = flags;
      byte[][] maps = join == null ? idMaps(kernel, s) : null;
      // A joining session counts against the limits of the sandbox's cgroup, not a new one.
      Optional<Cgroup> cgroup = join == null ? Cgroup.create(s.limits()) : Optional.empty();
      Cgroup into = join == null ? cgroup.orElse(null) : Cgroup.of(join.pid()).orElse(null);
      SetupRunner.Birthplace born = null;
      SetupRunner.Child child;
      try {
        born = into == null ? null : into.birthplace(kernel, join == null, cgroupFds);
        SetupRunner.Birthplace bornIn = born;
        child = onSpawnerThread(() -> startChild(program, cloneFlags, kernel, maps, into, bornIn));
      } catch (SetupStepException e) {
        removeUnlessStranded(cgroup, born);
        // Judged on the program that ran, whose steps carry their stages.
        throw Diagnosis.setupFailed(s, program, e, Diagnosis.Sysctls.read());
      } catch (RuntimeException | Error e) {
        removeUnlessStranded(cgroup, born);
        throw e;
      } finally {
        closeAll(kernel, cgroupFds);
      }
      closeAll(kernel, childEnds);
      childEnds.clear();
      EgressProxy egress = null;
      HostRelay relay = null;
      if (join == null && s.network().handsOver()) {
        List<Integer> received = new ArrayList<>();
        try {
          // The child sent them before it exec'd, so they wait in the socket already.
          String name = Integer.toString(child.pid());
          if (s.network() instanceof Network.Proxy proxy) {
            int listener = receive(kernel, handover[0], "proxy", received);
            egress = EgressProxy.serve(kernel, listener, proxy.policy(), name);
            received.clear();
          }
          HostPorts ports = s.network().hostPorts();
          if (!ports.isEmpty()) {
            for (int port : ports.ports()) {
              receive(kernel, handover[0], "host port " + port, received);
            }
            relay = HostRelay.serve(kernel, received, ports, EgressPolicy.Limits.DEFAULT, name);
            received.clear();
          }
        } catch (RuntimeException e) {
          closeAll(kernel, received);
          if (egress != null) {
            egress.close();
          }
          child(kernel, child);
          throw e;
        }
      }
      int master = -1;
      if (terminalEnd >= 0) {
        try {
          master = kernel.receiveDescriptor(terminalEnd);
          if (master < 0) {
            throw new SandboxException("the sandbox's setup sent no terminal");
          }
        } catch (RuntimeException e) {
          if (egress != null) {
            egress.close();
          }
          if (relay != null) {
            relay.close();
          }
          child(kernel, child);
          throw e;
        }
      }
      parentEnds.clear();
      SandboxProcess process =
          new SandboxProcess(
              kernel,
              child.pid(),
              child.pidfd(),
              egress,
              relay,
              cgroup.orElse(null),
              master,
              in[0] >= 0
                  ? new BufferedOutputStream(new FdOutputStream(in[0]))
                  : OutputStream.nullOutputStream(),
              out[0] >= 0
                  ? new BufferedInputStream(new FdInputStream(out[0]))
                  : InputStream.nullInputStream(),
              err[0] >= 0
                  ? new BufferedInputStream(new FdInputStream(err[0]))
                  : InputStream.nullInputStream());
      return process;
    } catch (SyscallException e) {
      if (e.call().startsWith("clone3")) {
        throw Diagnosis.cloneFailed(e, Diagnosis.Sysctls.read());
      }
      throw new SandboxException("cannot start the sandbox: " + e.getMessage(), e);
    } finally {
      closeAll(kernel, cgroupFds);
      closeAll(kernel, childEnds);
      closeAll(kernel, parentEnds);
      if (handoverEnd >= 0) {
        kernel.close(handoverEnd);
      }
      if (terminalEnd >= 0) {
        kernel.close(terminalEnd);
      }
    }
  }

  /**
   * The program of a start of {@code s} on a host with {@code facts}, giving the child {@code fds}:
   * the last one made when it was made for the same spec object, facts and descriptors, since a
   * program is a function of those alone ({@link SetupPlan}) and is never changed once made. Making
   * one took a third of a warm JVM's start of a sandbox (measured), which a caller that starts one
   * spec again and again, as a pool of agents' commands does, now pays once.
   */
  static SetupProgram program(Sandbox s, HostFacts facts, SetupPlan.Descriptors fds) {
    Made last = lastMade;
    if (last != null
        && last.spec().get() == s
        && last.facts().equals(facts)
        && last.fds().equals(fds)) {
      SetupProgram kept = last.program().get();
      if (kept != null) {
        return kept;
      }
    }
    SetupProgram program = SetupPlan.program(s, facts, fds);
    lastMade = new Made(new WeakReference<>(s), facts, fds, new WeakReference<>(program));
    return program;
  }

  // Weakly: a program holds the spec's environment and files, which may be secrets, so nothing is
  // kept alive once its caller is done with it; a garbage collection between two starts of one
  // spec costs the second one a program made again.
  private record Made(
      WeakReference<Sandbox> spec,
      HostFacts facts,
      SetupPlan.Descriptors fds,
      WeakReference<SetupProgram> program) {}

  // One entry: a spec started again, or another spec that then takes its place.
  private static volatile Made lastMade;

  /**
   * Clones the child, on the spawner thread, born in {@code into} where {@code born} says how
   * (ARCHITECTURE.md, "Around the child"), or moved in by pid while it sets up.
   */
  private static SetupRunner.Child startChild(
      SetupProgram program,
      long cloneFlags,
      Kernel kernel,
      byte[][] maps,
      Cgroup into,
      SetupRunner.Birthplace born) {
    SetupRunner.ParentHook release =
        pid -> {
          if (maps != null) {
            writeIdMaps(kernel, pid, maps);
          }
          if (into != null) {
            into.limitAfterClone(kernel);
          }
        };
    if (born == null) {
      return SetupRunner.start(program, cloneFlags, release, into == null ? null : moveIn(into));
    }
    try {
      return SetupRunner.start(program, cloneFlags, release, null, born);
    } catch (SyscallException e) {
      if (born.stranded() || !e.call().startsWith("clone3")) {
        throw e;
      }
      switch (cloneRefusal(into.version(), e.errno())) {
        case CGROUP ->
            throw new SandboxException(
                "cannot start the sandbox: the sandbox's cgroup refused the process (its pids or"
                    + " memory limit): "
                    + e.getMessage(),
                e);
        case INTO_CGROUP -> {
          SetupRunner.Child child = SetupRunner.start(program, cloneFlags, release, moveIn(into));
          Cgroup.intoRefused = true;
          return child;
        }
        case OTHER -> throw e;
      }
      throw e;
    } finally {
      // Whatever was thrown: the thread must come back before it clones again, and the cgroup it
      // may still be in cannot be removed.
      if (born.stranded()) {
        strandedIn = into;
      }
    }
  }

  /** What a clone3 of a child born in a cgroup of {@code version} that failed with errno says. */
  enum CloneRefusal {
    /** The sandbox's own limit (a full memory cgroup, pids.max): reported, never retried. */
    CGROUP,
    /**
     * This kernel refuses CLONE_INTO_CGROUP there (E2BIG or EINVAL before Linux 5.7, or a cgroup it
     * will not bear children in): retried with the move by pid.
     */
    INTO_CGROUP,
    /**
     * Anything else, such as a namespace refused (copy_process makes the namespaces before the
     * cgroup's check): told as for a clone outside any cgroup.
     */
    OTHER
  }

  static CloneRefusal cloneRefusal(String version, int errno) {
    if (errno == Errno.EAGAIN || errno == Errno.ENOMEM || errno == Errno.ENOBUFS) {
      return CloneRefusal.CGROUP;
    }
    if (version.equals("v2") && (errno == Errno.E2BIG || errno == Errno.EINVAL)) {
      return CloneRefusal.INTO_CGROUP;
    }
    return CloneRefusal.OTHER;
  }

  /**
   * Moves the child in by pid while it sets up: the first move of a process into a cgroup waits for
   * an RCU grace period (5-15 ms measured), so it runs while the child sets up; the child forks
   * nothing before its first exec, and reaches that only once it is in.
   */
  private static SetupRunner.ParentHook moveIn(Cgroup into) {
    return into::add;
  }

  // The cgroup the spawner thread could not leave after a clone; touched on that thread only.
  private static Cgroup strandedIn;

  // A child inherits its cloning thread's cgroups: none is cloned while the thread is not back.
  private static void comeBack(Kernel kernel) {
    if (strandedIn == null) {
      return;
    }
    try {
      strandedIn.leaveAsThread(kernel);
      // its sandbox was ended when the thread could not leave
      strandedIn.remove();
      strandedIn = null;
    } catch (RuntimeException e) {
      throw new SandboxException(
          "cannot start the sandbox: the spawner thread cannot leave an earlier sandbox's"
              + " cgroup, where its children would be born: "
              + e.getMessage(),
          e);
    }
  }

  // A cgroup the spawner thread is still in cannot be removed: it stays, named for its JVM.
  private static void removeUnlessStranded(Optional<Cgroup> cgroup, SetupRunner.Birthplace born) {
    if (born == null || !born.stranded()) {
      cgroup.ifPresent(Cgroup::remove);
    }
  }

  private static boolean hasOwnTerminal(Sandbox.Streams streams) {
    return streams.stdin() instanceof Stdio.Terminal
        || streams.stdout() instanceof Stdio.Terminal
        || streams.stderr() instanceof Stdio.Terminal;
  }

  /**
   * Opens what one standard stream needs. Returns {parent end, child end}; -1 for none. Every
   * descriptor is close-on-exec in the JVM; the child dup3s its end onto 0, 1 or 2.
   */
  static int[] stream(
      Kernel kernel, Stdio stdio, int which, List<Integer> parent, List<Integer> child) {
    int[] ends =
        stdio.accept(
            new Stdio.Visitor<int[]>() {
              @Override
              public int[] inherit() {
                return new int[] {-1, -1};
              }

              // made by the child itself, from the sandbox's own devpts
              @Override
              public int[] terminal(Stdio.Terminal t) {
                return new int[] {-1, -1};
              }

              // the child dup3s the caller's descriptor; the caller keeps and closes it
              @Override
              public int[] descriptor(Stdio.Descriptor d) {
                return new int[] {-1, d.fd()};
              }

              @Override
              public int[] pipe() {
                int[] fds = kernel.pipe2(Syscalls.O_CLOEXEC);
                return which == 0 ? new int[] {fds[1], fds[0]} : new int[] {fds[0], fds[1]};
              }

              @Override
              public int[] discard() {
                return new int[] {
                  -1,
                  kernel.openat(
                      Syscalls.AT_FDCWD, "/dev/null", Syscalls.O_RDWR | Syscalls.O_CLOEXEC, 0)
                };
              }

              @Override
              public int[] file(Stdio.File f) {
                int mode =
                    which == 0
                        ? Syscalls.O_RDONLY
                        : Syscalls.O_WRONLY
                            | Syscalls.O_CREAT
                            | (f.append() ? Syscalls.O_APPEND : Syscalls.O_TRUNC);
                return new int[] {
                  -1,
                  kernel.openat(
                      Syscalls.AT_FDCWD, f.path().toString(), mode | Syscalls.O_CLOEXEC, 0644)
                };
              }
            });
    if (ends[0] >= 0) {
      parent.add(ends[0]);
    }
    if (ends[1] >= 0 && !(stdio instanceof Stdio.Descriptor)) {
      child.add(ends[1]);
    }
    return ends;
  }

  private static int receive(Kernel kernel, int socket, String what, List<Integer> received) {
    int fd = kernel.receiveDescriptor(socket);
    if (fd < 0) {
      throw new SandboxException("the sandbox's setup sent no socket for the " + what);
    }
    received.add(fd);
    return fd;
  }

  /** Kills and reaps a child that cannot be handed out. */
  private static void child(Kernel kernel, SetupRunner.Child child) {
    kernel.pidfdSendSignal(child.pidfd(), Syscalls.SIGKILL);
    kernel.waitid(Syscalls.P_PIDFD, child.pidfd(), Syscalls.WEXITED);
    kernel.close(child.pidfd());
  }

  /** The id maps' contents, made before the clone: between it and the release the child waits. */
  private static byte[][] idMaps(Kernel kernel, Sandbox s) {
    return new byte[][] {
      (s.identity().uid() + " " + kernel.getuid() + " 1\n").getBytes(StandardCharsets.US_ASCII),
      (s.identity().gid() + " " + kernel.getgid() + " 1\n").getBytes(StandardCharsets.US_ASCII)
    };
  }

  // Raw system calls rather than java.nio.file: this is the child's wait for its release, and the
  // first NIO writes of a JVM cost it most of a millisecond of cold code (measured).
  private static void writeIdMaps(Kernel kernel, int pid, byte[][] maps) {
    String proc = "/proc/" + pid + "/";
    // Without "deny", an unprivileged user may not write gid_map.
    writeProcFile(kernel, proc + "setgroups", DENY);
    writeProcFile(kernel, proc + "uid_map", maps[0]);
    writeProcFile(kernel, proc + "gid_map", maps[1]);
  }

  private static final byte[] DENY = {'d', 'e', 'n', 'y'};

  // One write(2) carries the whole value, as these files require.
  private static void writeProcFile(Kernel kernel, String path, byte[] value) {
    int fd = kernel.openat(Syscalls.AT_FDCWD, path, Syscalls.O_WRONLY | Syscalls.O_CLOEXEC, 0);
    try {
      int n = kernel.write(fd, value, 0, value.length);
      if (n != value.length) {
        throw new SandboxException("cannot write " + path + ": " + n + " of " + value.length);
      }
    } finally {
      kernel.close(fd);
    }
  }

  private static <T> T onSpawnerThread(java.util.concurrent.Callable<T> task) {
    Future<T> f =
        THREAD.submit(
            () -> {
              comeBack(Kernel.linux());
              return task.call();
            });
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return f.get();
        } catch (InterruptedException e) {
          // The child is half started; it must be finished or failed, not abandoned.
          interrupted = true;
        } catch (ExecutionException e) {
          if (e.getCause() instanceof RuntimeException re) {
            throw re;
          }
          throw new SandboxException("cannot start the sandbox: " + e.getCause(), e.getCause());
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Closes every one of {@code fds}, then throws the first failure other than EBADF. */
  static void closeAll(Kernel kernel, List<Integer> fds) {
    SyscallException first = null;
    for (int fd : fds) {
      try {
        kernel.close(fd);
      } catch (SyscallException e) {
        // EBADF: already closed, nothing is left to release
        if (e.errno() != Errno.EBADF && first == null) {
          first = e;
        }
      }
    }
    fds.clear();
    if (first != null) {
      throw first;
    }
  }
}
