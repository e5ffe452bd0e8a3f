package dev.robojail.jail;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Finishes or undoes what a robojail process that was killed left half-way, so that no half-made
 * jail passes for a whole one and no half-deleted jail lingers:
 *
 * <ul>
 *   <li>an interrupted {@code CREATING} jail is rolled back: its processes (a checkout still
 *       writing) are ended, its files, its record and its branch (still at its base: the jail never
 *       ran) are deleted, and its entry removed;
 *   <li>an interrupted {@code DESTROYING} jail is {@code READY} again: nothing was deleted yet;
 *   <li>an interrupted {@code REMOVING} jail is deleted to the end, as the destroy had decided; its
 *       branch is deleted only if that loses no commit.
 * </ul>
 *
 * Each jail is first claimed under the state lock (this process becomes its owner), so two
 * processes never recover the same jail, and a recovery that is itself killed is taken up by the
 * next. Scratch directories of dead processes are swept too.
 */
final class JailRecovery {
  private final Git git;
  private final StateStore store;
  private final JailLayout layout;
  private final JailFiles files;

  JailRecovery(Git git, StateStore store, JailLayout layout, JailFiles files) {
    this.git = git;
    this.store = store;
    this.layout = layout;
    this.files = files;
  }

  /** Recovers every interrupted jail; returns one line per jail for the user. */
  List<String> recover() {
    sweep();
    List<String> notes = new ArrayList<>();
    for (JailState jail : store.list()) {
      if (jail.isInterrupted()) {
        recover(jail.name()).ifPresent(notes::add);
      }
    }
    return notes;
  }

  /**
   * Deletes the scratch directories of dead robojail processes; the part of a recovery that needs
   * no state.
   */
  void sweep() {
    layout.sweepTemp();
  }

  /** Whether {@link #recover()} has a jail to recover among these. */
  static boolean needed(java.util.Collection<JailState> jails) {
    return jails.stream().anyMatch(JailState::isInterrupted);
  }

  private java.util.Optional<String> recover(JailName name) {
    Supervisor me = Supervisor.current();
    AtomicBoolean claimed = new AtomicBoolean();
    java.util.SortedMap<JailName, JailState> after =
        store.update(
            jails -> {
              JailState current = jails.get(name);
              if (current != null && current.isInterrupted()) {
                jails.put(
                    name,
                    current.phase() == JailState.Phase.DESTROYING
                        ? current.inPhase(JailState.Phase.READY, null)
                        : current.inPhase(current.phase(), me));
                claimed.set(true);
              }
              return jails;
            });
    JailState jail = after.get(name);
    if (!claimed.get() || jail == null) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(
        switch (jail.phase()) {
          case READY ->
              "jail " + name + ": an interrupted destroy had deleted nothing; the jail is kept";
          case CREATING -> {
            remove(jail, true);
            yield "rolled back the interrupted creation of jail " + name;
          }
          case REMOVING -> {
            remove(jail, false);
            yield "finished the interrupted destroy of jail " + name;
          }
          case DESTROYING -> throw new IllegalStateException("claimed a destroying jail");
        });
  }

  /** Rolls back a create that {@code doctor --repair} found incomplete on disk. */
  void rollBack(JailState jail) {
    remove(jail, true);
  }

  private void remove(JailState jail, boolean creating) {
    if (creating) {
      endGitIn(jail.worktree(), jail.gitDir());
    }
    files.remove(jail);
    deleteBranchIfNothingIsLost(jail, creating);
    JailRecords.delete(layout, jail.name());
    store.removeSessions(jail.name());
    store.update(
        jails -> {
          jails.remove(jail.name());
          return jails;
        });
  }

  private void deleteBranchIfNothingIsLost(JailState jail, boolean creating) {
    Path repo = jail.repo();
    try {
      if (!Files.isDirectory(repo) || !git.branchExists(repo, jail.branch())) {
        return;
      }
      String tip = git.revParse(repo, "refs/heads/" + jail.branch());
      boolean atBase = tip.equals(jail.baseCommit());
      if (atBase || (!creating && git.isBranchMergedElsewhere(repo, jail.branch()))) {
        git.deleteBranch(repo, jail.branch(), true);
      }
    } catch (JailException e) {
      // The repository moved or is broken: the branch stays, which loses nothing.
    }
  }

  /**
   * Ends the git processes whose working directory is in one of {@code dirs}: the children of a
   * robojail that was killed with SIGKILL (a {@code read-tree} keeps writing the worktree for
   * seconds after). Only called for a jail that is being created, where no jailed command can run;
   * a user's shell that happens to be there is not git and is left alone, and processes of other
   * users are not visible.
   */
  static int endGitIn(Path... dirs) {
    int ended = 0;
    long self = ProcessHandle.current().pid();
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path proc : procs) {
        long pid;
        Path cwd;
        try {
          pid = Long.parseLong(proc.getFileName().toString());
          cwd = Files.readSymbolicLink(proc.resolve("cwd"));
          if (!Files.readString(proc.resolve("comm")).startsWith("git")) {
            continue;
          }
        } catch (IOException | NumberFormatException e) {
          continue;
        }
        if (pid == self) {
          continue;
        }
        for (Path dir : dirs) {
          if (cwd.startsWith(dir.toAbsolutePath().normalize())) {
            var target = Supervisor.of(pid);
            if (target.isPresent()) {
              JailRunner.kill(target.get());
              waitForEnd(target.get());
              ended++;
            }
            break;
          }
        }
      }
    } catch (IOException e) {
      // No /proc: nothing can be found, and nothing is ended.
    }
    return ended;
  }

  private static void waitForEnd(Supervisor process) {
    long deadline = System.nanoTime() + 2_000_000_000L;
    while (process.isAlive() && System.nanoTime() < deadline) {
      Thread.onSpinWait();
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
