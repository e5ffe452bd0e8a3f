package dev.robojail.jail;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Destroys jails without losing committed work: the jail's commits are imported first, and its
 * branch is deleted only when every commit on it is found elsewhere. Commits that exist only in the
 * jail (its repository is gone, so they cannot be imported) are never deleted, {@code --force} or
 * not.
 *
 * <p>The jail is claimed first ({@code READY → DESTROYING}, under the state lock), so that no
 * command starts in it while it is checked; once nothing stands in the way it becomes {@code
 * REMOVING}, and only then is anything deleted. A destroy that is killed while checking leaves the
 * jail as it was; one killed while deleting is finished by the next command ({@link JailRecovery}).
 */
final class JailDestroyer {
  private final Git git;
  private final StateStore store;
  private final JailLayout layout;
  private final JailInspector inspector;
  private final JailImporter importer;
  private final JailRunner runner;
  private final JailFiles files;

  JailDestroyer(
      Git git,
      StateStore store,
      JailLayout layout,
      JailInspector inspector,
      JailImporter importer,
      JailRunner runner,
      JailFiles files) {
    this.git = git;
    this.store = store;
    this.layout = layout;
    this.inspector = inspector;
    this.importer = importer;
    this.runner = runner;
    this.files = files;
  }

  /** See {@link Jails#destroyJail(String, boolean)}. */
  DestroyResult destroy(JailState requested, boolean force) {
    store.requireSpace();
    Supervisor me = Supervisor.current();
    JailState jail = claim(requested.name(), me, force);
    List<String> discarded = new ArrayList<>();
    JailStatus status;
    try {
      Supervisor session = jail.supervisor();
      if (session != null) {
        runner.endJail(jail);
        discarded.add("the running command (supervisor pid " + session.pid() + ")");
      }
      status = check(jail, force, discarded);
      move(jail.name(), me, JailState.Phase.DESTROYING, JailState.Phase.REMOVING);
    } catch (RuntimeException e) {
      try {
        move(jail.name(), me, JailState.Phase.DESTROYING, JailState.Phase.READY);
      } catch (RuntimeException again) {
        e.addSuppressed(again);
      }
      throw e;
    }
    files.remove(jail);
    JailRecords.delete(layout, jail.name());
    store.removeSessions(jail.name());
    store.remove(jail.name());
    return branch(jail, status, discarded);
  }

  // READY → DESTROYING, atomically: a run that starts meanwhile is refused, and one that runs
  // already is refused unless force.
  private JailState claim(JailName name, Supervisor me, boolean force) {
    JailState[] claimed = new JailState[1];
    store.update(
        jails -> {
          JailState current = jails.get(name);
          if (current == null) {
            throw new JailConflictException("no jail named " + name);
          }
          JailRunner.requireReady(current);
          if (current.isAlive() && !force) {
            throw new JailConflictException(
                "jail "
                    + name
                    + " is running (pid "
                    + current.supervisor().pid()
                    + "); end it, or use --force to end every process of the jail");
          }
          claimed[0] = current.inPhase(JailState.Phase.DESTROYING, me);
          jails.put(name, claimed[0]);
          return jails;
        });
    return claimed[0];
  }

  private void move(JailName name, Supervisor me, JailState.Phase from, JailState.Phase to) {
    store.update(
        jails -> {
          JailState current = jails.get(name);
          if (current == null || current.phase() != from || !me.equals(current.owner())) {
            throw new JailConflictException("jail " + name + " was taken over while destroyed");
          }
          jails.put(name, current.inPhase(to, to == JailState.Phase.READY ? null : me));
          return jails;
        });
  }

  /** Everything that may refuse the destroy; returns the jail's status, if it could be had. */
  private JailStatus check(JailState jail, boolean force, List<String> discarded) {
    String name = jail.name().value();
    requireNoCommitsOnlyInJail(jail);
    // The commits first, so that destroying the jail never loses them. A branch robojail must
    // not move (the user has it checked out) stops the destroy, --force or not.
    Optional<String> userTip = Optional.empty();
    try {
      userTip = importer.importBranch(jail).userTip();
    } catch (JailConflictException e) {
      throw e;
    } catch (JailException e) {
      if (!force) {
        throw new JailException(
            "cannot import the branch of jail " + name + " (" + e.getMessage() + "); use --force",
            e);
      }
      discarded.add("the jail's branch, whose history is broken (" + e.getMessage() + ")");
    }
    JailStatus status = null;
    if (Files.isDirectory(jail.worktree(), LinkOption.NOFOLLOW_LINKS)) {
      try {
        status = inspector.status(jail, userTip);
      } catch (JailException e) {
        if (!force) {
          throw new JailException(
              "cannot inspect jail " + name + " (" + e.getMessage() + "); use --force", e);
        }
        discarded.add("whatever the worktree held (it could not be inspected)");
      }
    }
    if (status != null && status.uncommittedChanges()) {
      if (!force) {
        throw new JailConflictException(
            "jail " + name + " has uncommitted changes; use --force to discard them");
      }
      discarded.add(uncommitted(status));
    }
    return status;
  }

  private static String uncommitted(JailStatus status) {
    if (status.commitsSinceBase() == 0) {
      int n = status.changes().size();
      return "uncommitted changes to " + n + (n == 1 ? " file" : " files");
    }
    return "uncommitted changes (the worktree differs from the branch's last commit)";
  }

  // With the repository gone, the jail's private git directory holds the only copy of its
  // commits: --force discards uncommitted work, never that.
  private void requireNoCommitsOnlyInJail(JailState jail) {
    if (!layout.hasPrivateGitDir(jail) || repositoryUsable(jail.repo())) {
      return;
    }
    Optional<String> tip = JailGitDir.tip(jail.gitDir(), jail.branch());
    if (tip.isEmpty() || tip.get().equals(jail.baseCommit())) {
      return;
    }
    String name = jail.name().value();
    throw new JailConflictException(
        TerminalSafe.sanitizeLine(
            "the repository "
                + jail.repo()
                + " of jail "
                + name
                + " is gone, and the jail's commits exist nowhere else, so they are kept"
                + " (--force or not); if the repository moved, run: robojail relocate "
                + name
                + " --repo NEW-PATH (any clone with commit "
                + jail.baseCommit().substring(0, 12)
                + " will do), then destroy again"));
  }

  private boolean repositoryUsable(Path repo) {
    if (!Files.isDirectory(repo)) {
      return false;
    }
    try {
      return Files.isDirectory(git.commonDir(repo).resolve("objects"));
    } catch (JailException e) {
      return false;
    }
  }

  private DestroyResult branch(JailState jail, JailStatus status, List<String> discarded) {
    Path repo = jail.repo();
    String branch = jail.branch();
    if (!repositoryUsable(repo) || !git.branchExists(repo, branch)) {
      return result(jail, DestroyResult.BranchOutcome.ABSENT, 0, discarded);
    }
    int commits = status == null ? -1 : status.commitsSinceBase();
    if (commits == 0) {
      git.deleteBranch(repo, branch, true);
      return result(jail, DestroyResult.BranchOutcome.DELETED_NO_COMMITS, 0, discarded);
    }
    if (git.isBranchMergedElsewhere(repo, branch)) {
      git.deleteBranch(repo, branch, true);
      return result(jail, DestroyResult.BranchOutcome.DELETED_MERGED_ELSEWHERE, 0, discarded);
    }
    int kept = commits > 0 ? commits : git.unmergedCommitCount(repo, branch);
    return result(jail, DestroyResult.BranchOutcome.KEPT_UNMERGED_COMMITS, kept, discarded);
  }

  private static DestroyResult result(
      JailState jail,
      DestroyResult.BranchOutcome outcome,
      int keptCommits,
      List<String> discarded) {
    return new DestroyResult(
        jail.name(), jail.repo(), jail.branch(), outcome, keptCommits, discarded);
  }
}
