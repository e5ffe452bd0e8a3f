package dev.robojail.jail;

import dev.robojail.ffm.Errno;
import dev.robojail.ffm.Kernel;
import dev.robojail.ffm.SyscallException;
import dev.robojail.ffm.Syscalls;
import dev.robojail.net.PortForward;
import dev.robojail.sandbox.HostAhead;
import dev.robojail.sandbox.Network;
import dev.robojail.sandbox.Sandbox;
import dev.robojail.sandbox.SandboxException;
import dev.robojail.sandbox.SandboxProcess;
import dev.robojail.sandbox.TerminalRelay;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * Runs a command in a jail and supervises it: records the session ({@link SessionRecords}), records
 * the jail's PID 1 ({@link JailLayout#initRecord}) so that later sessions can join it and another
 * process can end it, and ends it on request.
 */
final class JailRunner {
  private static final Duration STOP_GRACE = Duration.ofSeconds(3);
  // How long another session's start (or end: the write-back of the home) may take before a run
  // that waits for it gives up: building a sandbox takes a fraction of a second, more on a loaded
  // machine. A record planted to name a live process that is no session is waited for as long.
  private static final Duration START_WAIT = Duration.ofSeconds(5);

  private final StateStore store;
  private final JailLayout layout;
  private final JailProfile profile;
  private final Consumer<String> warnings;

  /** With {@code warnings} told what a run warns of before its jail starts, one line each. */
  JailRunner(StateStore store, JailLayout layout, JailProfile profile, Consumer<String> warnings) {
    this.store = store;
    this.layout = layout;
    this.profile = profile;
    this.warnings = warnings;
  }

  /**
   * Runs a command in the jail as a session of its own. When the jail runs already, the session
   * joins it ({@link Sandbox#join}): same processes, mounts, hostname, network and cgroup, and the
   * same protections; it ends when the jail ends. Otherwise it starts the jail, whose PID 1 is
   * recorded for later sessions, {@code destroy --force} and {@code forward}.
   *
   * <p>The state is read and locked once: the session is added in the same read that finds the
   * jail, before its sandbox is built, unless the state shows a jail that an interrupted robojail
   * left, which {@code recover} deals with first. A jail that another session is starting or ending
   * (it has sessions, but no live PID 1 recorded) is waited for without a session of this one's:
   * then this run joins the PID 1 that session recorded, or, if that session failed or ended
   * without one, starts the jail itself.
   *
   * <p>With {@code openRelay}, whether a standard stream is a terminal is asked only once the jail
   * is admitted and its sandbox prepared: a jail that does not exist, is not running ({@code
   * joinOnly}) or cannot be prepared fails before the caller's terminal is touched at all, and
   * those questions (the JVM's first native calls) come after the state's read, which needs none.
   * The relay opened then is closed, restoring the terminal, however the session ends.
   *
   * @param relay the terminal relay that {@code customize} attached, or null; the caller's to close
   * @param openRelay relay the caller's terminal, if any standard stream is one ({@link
   *     TerminalRelay#available}): opened, attached after {@code customize} and closed here
   * @param joinOnly refuse, rather than start the jail, when it is not running ({@code exec})
   * @param recover finishes or undoes what interrupted robojail processes left
   */
  int run(
      JailName jailName,
      List<String> command,
      boolean interactive,
      UnaryOperator<Sandbox.Builder> customize,
      TerminalRelay relay,
      boolean openRelay,
      boolean joinOnly,
      Runnable recover) {
    Objects.requireNonNull(customize, "customize");
    String name = jailName.value();
    Path initRecord = layout.initRecord(jailName);
    Supervisor[] joined = {null};
    // Decided under the state lock, beside the phase and the sessions, so that of runs at once
    // exactly one starts the jail: the one that finds no session. A session is added only to
    // start the jail or to join its recorded PID 1; one that waits for another's start holds none,
    // so that when that start fails, its session goes and this run's next look finds none.
    Predicate<JailState> admit =
        current -> {
          requireReady(current);
          joined[0] = null;
          if (!current.isAlive()) {
            if (joinOnly) {
              throw notRunning(name);
            }
            return true;
          }
          joined[0] = readInit(initRecord).filter(Supervisor::isAlive).orElse(null);
          return joined[0] != null;
        };
    StateStore.Started started = admit(jailName, admit, recover);
    boolean joining = joined[0] != null;
    JailState jail = started.jail();
    boolean built = false;
    TerminalRelay opened = null;
    TerminalRelay relayed = relay;
    try {
      JailLayout.requirePresent(jail);
      JailProfile.Prepared prepared = profile.prepare(jail, command, interactive, joining);
      Sandbox.Builder spec = customize.apply(prepared.sandbox().toBuilder());
      if (openRelay && TerminalRelay.available()) {
        opened = TerminalRelay.open();
        relayed = opened;
        spec = opened.attach(spec);
      }
      Sandbox sandbox = spec.build();
      built = true;
      if (sandbox.network() instanceof Network.Host) {
        warnings.accept(JailNetwork.HOST_WARNING);
      }
      // Jails made by an older robojail sit in directories other users could enter.
      layout.makePrivate();
      SandboxProcess process;
      if (joining) {
        process = join(jail, joined[0], sandbox);
      } else {
        process = startWithCaches(sandbox, prepared.cacheFallbacks());
        recordInit(initRecord, process.pid());
      }
      // Ctrl-C or SIGTERM to this JVM: the jail's command gets SIGTERM and a moment to end.
      try (var _ = process.endWithJvm(STOP_GRACE)) {
        return relayed == null ? process.waitFor() : relayed.relay(process);
      } catch (InterruptedException e) {
        process.destroy();
        Thread.currentThread().interrupt();
        throw new JailException("interrupted while jail " + name + " ran", e);
      }
    } finally {
      // First: what the end of the session prints, it prints on the terminal as it was.
      try {
        if (opened != null) {
          opened.close();
        }
      } finally {
        end(jail, initRecord, built && !joining, started);
      }
    }
  }

  // A joined session leaves the jail's end to the one that started it.
  private void end(
      JailState jail, Path initRecord, boolean startedJail, StateStore.Started started) {
    try {
      if (startedJail) {
        deleteQuietly(initRecord);
        // The jail's PID 1 is gone, and every process of its PID namespace with it: nothing in the
        // jail can change its home under the write-back.
        try {
          profile.afterRun(jail);
        } catch (JailException e) {
          System.err.println("robojail: " + e.getMessage());
        }
      }
    } finally {
      // Last: until the write-back is done, another run must wait rather than start the jail.
      started.session().close();
    }
  }

  /**
   * This session's record, added once {@code admit} accepts the jail; while another session starts
   * or ends it, asked again every moment, for as long as such a start may take.
   */
  private StateStore.Started admit(JailName name, Predicate<JailState> admit, Runnable recover) {
    Supervisor me = Supervisor.current();
    // Counted from the first look's answer: time spent blocked on the state lock behind a slow
    // holder before that is not time this run waited for a start to finish.
    long deadline = 0;
    boolean looked = false;
    while (true) {
      StateStore.Started started =
          store
              .startSession(name, me, all -> !JailRecovery.needed(all), admit)
              .orElseGet(
                  () -> {
                    // Recovery can take long, and the walk ahead would then be older than the
                    // start: the spec walks /etc itself (also below, when the start waits).
                    HostAhead.dropCovers();
                    recover.run();
                    return store.startSession(name, me, all -> true, admit).orElseThrow();
                  });
      if (started.admitted()) {
        return started;
      }
      if (!looked) {
        looked = true;
        deadline = System.nanoTime() + START_WAIT.toNanos();
      } else if (System.nanoTime() - deadline > 0) {
        throw startingOrEnding(name.value());
      }
      HostAhead.dropCovers();
      pause(name, "waiting for jail ");
    }
  }

  private static JailConflictException notRunning(String name) {
    return new JailConflictException(
        "jail " + name + " is not running; start it with: robojail enter " + name);
  }

  private static JailConflictException startingOrEnding(String name) {
    return new JailConflictException(
        "jail " + name + " is starting or ending; try again in a moment");
  }

  // A cache that cannot be seeded never fails the jail: it runs with its own caches alone, and one
  // line says why. The kernel is the judge of an overlay (a lower filesystem it does not stack
  // on, layers on two filesystems), so its refusal is met by starting again without them.
  private static SandboxProcess startWithCaches(Sandbox sandbox, List<String> cacheFallbacks) {
    cacheFallbacks.forEach(l -> System.err.println("robojail: cache " + l));
    try {
      return sandbox.start();
    } catch (SandboxException.OverlayRefused e) {
      System.err.println(
          "robojail: caches not seeded this run, the jail's own alone: "
              + TerminalSafe.sanitizeLine(e.getMessage()));
      return sandbox.withoutOverlays().start();
    }
  }

  /** A session joining the running jail, through a pidfd of its checked PID 1. */
  private static SandboxProcess join(JailState jail, Supervisor init, Sandbox sandbox) {
    Kernel kernel = Kernel.linux();
    int pidfd = openInit(kernel, jail, init);
    try {
      return sandbox.join((int) init.pid(), pidfd);
    } finally {
      kernel.close(pidfd);
    }
  }

  /**
   * The jail's PID 1, from its record. A jail that is starting has a session but no record for a
   * moment: it is given the time to make one.
   */
  private Supervisor runningInit(JailState jail) {
    // Counted from the first look's answer: time spent blocked on the state lock behind a slow
    // holder before that is not time this run waited for a start to finish.
    long deadline = 0;
    boolean looked = false;
    while (true) {
      Optional<Supervisor> init = readInit(layout.initRecord(jail.name()));
      if (init.isPresent() && init.get().isAlive()) {
        return init.get();
      }
      if (!store.require(jail.name()).isAlive()) {
        // the session that was starting it failed, or the jail has ended
        throw notRunning(jail.name().value());
      }
      if (System.nanoTime() > deadline) {
        throw startingOrEnding(jail.name().value());
      }
      pause(jail.name(), "waiting for jail ");
    }
  }

  /**
   * A pidfd of the jail's PID 1, opened first and checked after, so that whatever happens to the
   * pid from then on, the pidfd names the process that was checked: the recorded one (same start
   * time and boot), in a user namespace that is not the caller's and that maps the caller's own
   * uid, and no other. A record pointing at any other process (reused pid, a planted record,
   * another user's jail) is refused before anything joins it.
   */
  static int openInit(Kernel kernel, JailState jail, Supervisor init) {
    String name = jail.name().value();
    int pidfd;
    try {
      pidfd = kernel.pidfdOpen((int) init.pid(), 0);
    } catch (SyscallException e) {
      throw new JailConflictException("jail " + name + " is not running (it has just ended)");
    }
    try {
      boolean mine = isJailOfThisUser(kernel, init);
      // Checked last: what was read above was of the recorded process only if it still lives.
      if (!init.isAlive()) {
        throw new JailConflictException("jail " + name + " is not running (it has just ended)");
      }
      if (!mine) {
        throw notMine(name, init);
      }
      return pidfd;
    } catch (RuntimeException e) {
      kernel.close(pidfd);
      throw e;
    }
  }

  /**
   * Whether the process is in a user namespace of its own that maps the caller's uid, as a jail's
   * PID 1 is: not the caller's namespace (a plain process of this user, a reused pid), not one that
   * maps another uid (another user's jail), and readable (another user's process is not).
   */
  static boolean isJailOfThisUser(Kernel kernel, Supervisor init) {
    Path proc = Path.of("/proc", Long.toString(init.pid()));
    try {
      String own = Files.readSymbolicLink(Path.of("/proc/self/ns/user")).toString();
      String its = Files.readSymbolicLink(proc.resolve("ns/user")).toString();
      List<String> map = Files.readString(proc.resolve("uid_map")).strip().lines().toList();
      String[] only = map.size() == 1 ? map.getFirst().strip().split("\\s+") : new String[0];
      return !its.equals(own)
          && only.length == 3
          && only[1].equals(Integer.toString(kernel.getuid()));
    } catch (IOException e) {
      return false;
    }
  }

  private static JailConflictException notMine(String name, Supervisor init) {
    return new JailConflictException(
        "jail "
            + name
            + "'s record names process "
            + init.pid()
            + ", which is not a jail of this user: refusing to join it");
  }

  /**
   * Forwards {@code hostPort} on the host's 127.0.0.1 to {@code jailPort} on the running jail's
   * loopback, until the jail ends or the returned handle is closed.
   */
  PortForward forward(JailState jail, int hostPort, int jailPort) {
    requireReady(jail);
    if (!jail.isAlive()) {
      throw notRunning(jail.name().value());
    }
    Kernel kernel = Kernel.linux();
    Supervisor init = runningInit(jail);
    int pidfd = openInit(kernel, jail, init);
    try {
      PortForward forward =
          PortForward.open(
              kernel,
              hostPort,
              () -> Sandbox.connectInside((int) init.pid(), pidfd, jailPort),
              pidfd);
      return forward;
    } catch (IOException e) {
      kernel.close(pidfd);
      throw new JailException(
          "cannot listen on 127.0.0.1:" + hostPort + " on the host: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      kernel.close(pidfd);
      throw e;
    }
  }

  private static Optional<Supervisor> readInit(Path record) {
    try {
      String[] f = Files.readString(record).strip().split(" ");
      return Optional.of(new Supervisor(Long.parseLong(f[0]), Long.parseLong(f[1]), f[2]));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * Throws unless the jail is {@code READY}: a jail being created is not whole yet, and one being
   * destroyed would lose its files under the command.
   */
  static void requireReady(JailState jail) {
    String name = jail.name().value();
    switch (jail.phase()) {
      case READY -> {}
      case CREATING ->
          throw new JailConflictException(
              jail.isInterrupted()
                  ? "jail " + name + " was not completely created and is being rolled back"
                  : "jail " + name + " is being created (pid " + jail.owner().pid() + ")");
      case DESTROYING, REMOVING ->
          throw new JailConflictException(
              "jail " + name + " is being destroyed (pid " + jail.owner().pid() + ")");
    }
  }

  // The supervisor (an IDE, say) is never touched: only the jail's PID 1 is killed.
  private static void recordInit(Path record, long pid) {
    Supervisor.of(pid)
        .ifPresent(
            init -> {
              try {
                JailLayout.createPrivateDirectories(record.getParent());
                // Written whole, then renamed: a session or destroy reading it meanwhile would
                // otherwise find the file empty and take the jail for one that is ending.
                Path temp = record.resolveSibling(record.getFileName() + ".tmp");
                Files.writeString(
                    temp, init.pid() + " " + init.startTime() + " " + init.bootId() + "\n");
                Files.move(
                    temp,
                    record,
                    StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
              } catch (IOException e) {
                // without the record, destroy --force refuses instead of killing: safe
              }
            });
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      // a stale record is harmless: its start time no longer matches any process
    }
  }

  private static void pause(JailName jail, String doing) {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new JailException("interrupted while " + doing + jail.value(), e);
    }
  }

  /** Ends every process of a running jail by killing its PID 1, then waits for its supervisor. */
  void endJail(JailState jail) {
    Path record = layout.initRecord(jail.name());
    Supervisor init = null;
    // The supervisor marks the jail running just before it starts it, and records its PID 1
    // just after: give a jail that is starting a moment.
    long found = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (init == null) {
      init = readInit(record).orElse(null);
      if (init == null) {
        if (System.nanoTime() > found || !jail.supervisor().isAlive()) {
          throw new JailConflictException(
              "jail "
                  + jail.name().value()
                  + " is running and its processes cannot be found;"
                  + " end it where it runs (pid "
                  + jail.supervisor().pid()
                  + ")");
        }
        pause(jail.name(), "ending jail ");
      }
    }
    // A record that names anything but this user's jail (planted, or a pid reused) kills nothing.
    if (init.isAlive() && !isJailOfThisUser(Kernel.linux(), init)) {
      throw notMine(jail.name().value(), init);
    }
    kill(init);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    // The supervisor notices the end and clears its mark; an embedding JVM lives on, so a live
    // supervisor without a mark is fine.
    while (System.nanoTime() < deadline
        && (init.isAlive() || store.require(jail.name()).isAlive())) {
      pause(jail.name(), "ending jail ");
    }
    if (init.isAlive()) {
      throw new JailException("jail " + jail.name().value() + " did not end");
    }
  }

  /** {@link #kill(Kernel, Supervisor)} through the running kernel. */
  static void kill(Supervisor init) {
    kill(Kernel.linux(), init);
  }

  /**
   * Sends SIGKILL to exactly that process, if it is still running; any failure but "no such
   * process" is thrown. A pidfd is opened first, then the process is checked to be still the same:
   * from then on the signal cannot reach another process, whatever happens to the pid.
   */
  static void kill(Kernel kernel, Supervisor init) {
    try {
      int pidfd = kernel.pidfdOpen((int) init.pid(), 0);
      try {
        if (init.isAlive()) {
          kernel.pidfdSendSignal(pidfd, Syscalls.SIGKILL);
        }
      } finally {
        kernel.close(pidfd);
      }
    } catch (SyscallException e) {
      if (e.errno() != Errno.ESRCH) {
        throw e;
      }
      // the jail ended meanwhile
    }
  }
}
