package dev.robojail.jail;

import dev.robojail.ffm.Errno;
import dev.robojail.ffm.Kernel;
import dev.robojail.ffm.SyscallException;
import dev.robojail.ffm.Syscalls;
import dev.robojail.sandbox.Sandbox;
import dev.robojail.sandbox.SandboxProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * Runs a command in a jail and supervises it: marks the jail running in the state file, records its
 * PID 1 ({@link JailLayout#initRecord}) so that another process can end it, and ends it on request.
 */
final class JailRunner {
  private static final Duration STOP_GRACE = Duration.ofSeconds(3);

  private final StateStore store;
  private final JailLayout layout;
  private final JailProfile profile;

  JailRunner(StateStore store, JailLayout layout, JailProfile profile) {
    this.store = store;
    this.layout = layout;
    this.profile = profile;
  }

  /** See {@link Jails#run(String, List, boolean, UnaryOperator)}. */
  int run(
      JailState jail,
      List<String> command,
      boolean interactive,
      UnaryOperator<Sandbox.Builder> customize) {
    Objects.requireNonNull(customize, "customize");
    JailName jailName = jail.name();
    String name = jailName.value();
    JailLayout.requirePresent(jail);
    Sandbox sandbox =
        customize.apply(profile.sandbox(jail, command, interactive).toBuilder()).build();
    Supervisor me = Supervisor.current();
    store.update(
        jails -> {
          JailState current = jails.get(jailName);
          if (current == null) {
            throw new JailConflictException("no jail named " + name);
          }
          requireReady(current);
          // One session at a time for now; the list leaves room for more beside it.
          if (current.isAlive()) {
            throw new JailConflictException(
                "jail " + name + " is running (pid " + current.supervisor().pid() + ")");
          }
          jails.put(jailName, current.withoutSession(me).withSession(me));
          return jails;
        });
    Path initRecord = layout.initRecord(jailName);
    try {
      // Jails made by an older robojail sit in directories other users could enter.
      layout.makePrivate();
      SandboxProcess process = sandbox.start();
      recordInit(initRecord, process.pid());
      // Ctrl-C or SIGTERM to this JVM: the jail's command gets SIGTERM and a moment to end.
      try (var _ = process.endWithJvm(STOP_GRACE)) {
        return process.waitFor();
      } catch (InterruptedException e) {
        process.destroy();
        Thread.currentThread().interrupt();
        throw new JailException("interrupted while jail " + name + " ran", e);
      }
    } finally {
      deleteQuietly(initRecord);
      // The jail's PID 1 is gone, and every process of its PID namespace with it: nothing in the
      // jail can change its home under the write-back.
      try {
        profile.afterRun(jail);
      } catch (JailException e) {
        System.err.println("robojail: " + e.getMessage());
      }
      store.update(
          jails -> {
            JailState current = jails.get(jailName);
            if (current != null && current.sessions().contains(me)) {
              jails.put(jailName, current.withoutSession(me));
            }
            return jails;
          });
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
                Files.writeString(
                    record, init.pid() + " " + init.startTime() + " " + init.bootId() + "\n");
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

  private static void pause(JailState jail) {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new JailException("interrupted while ending jail " + jail.name().value(), e);
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
      try {
        String[] f = Files.readString(record).strip().split(" ");
        init = new Supervisor(Long.parseLong(f[0]), Long.parseLong(f[1]), f[2]);
      } catch (IOException | RuntimeException e) {
        if (System.nanoTime() > found || !jail.supervisor().isAlive()) {
          throw new JailConflictException(
              "jail "
                  + jail.name().value()
                  + " is running and its processes cannot be found;"
                  + " end it where it runs (pid "
                  + jail.supervisor().pid()
                  + ")");
        }
        pause(jail);
      }
    }
    kill(init);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    // The supervisor notices the end and clears its mark; an embedding JVM lives on, so a live
    // supervisor without a mark is fine.
    while (System.nanoTime() < deadline
        && (init.isAlive() || store.require(jail.name()).isAlive())) {
      pause(jail);
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
