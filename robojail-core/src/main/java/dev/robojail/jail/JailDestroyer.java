package dev.robojail.jail;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Destroys jails without losing committed work: the jail's commits are imported first, and its
 * branch is deleted only when every commit on it is found elsewhere.
 */
final class JailDestroyer {
  private final Git git;
  private final StateStore store;
  private final JailInspector inspector;
  private final JailImporter importer;
  private final JailRunner runner;
  private final JailFiles files;

  JailDestroyer(
      Git git,
      StateStore store,
      JailInspector inspector,
      JailImporter importer,
      JailRunner runner,
      JailFiles files) {
    this.git = git;
    this.store = store;
    this.inspector = inspector;
    this.importer = importer;
    this.runner = runner;
    this.files = files;
  }

  /** See {@link Jails#destroyJail(String, boolean)}. */
  DestroyResult destroy(JailState jail, boolean force) {
    String name = jail.name().value();
    if (jail.isAlive()) {
      if (!force) {
        throw new JailConflictException(
            "jail "
                + name
                + " is running (pid "
                + jail.supervisor().pid()
                + "); end it, or use --force to end every process of the jail");
      }
      runner.endJail(jail);
    }
    JailStatus status = null;
    if (Files.isDirectory(jail.worktree(), LinkOption.NOFOLLOW_LINKS)) {
      try {
        // The jail's commits first, so that destroying it never loses them.
        status = inspector.status(jail, importer.importBranch(jail).userTip());
      } catch (JailException e) {
        if (!force) {
          throw new JailException(
              "cannot inspect jail " + name + " (" + e.getMessage() + "); use --force", e);
        }
      }
    }
    if (status != null && status.uncommittedChanges() && !force) {
      throw new JailConflictException(
          "jail " + name + " has uncommitted changes; use --force to discard them");
    }
    if (!Files.isDirectory(jail.worktree(), LinkOption.NOFOLLOW_LINKS)) {
      try {
        importer.importBranch(jail);
      } catch (JailException e) {
        if (!force) {
          throw new JailException(
              "cannot import the branch of jail " + name + " (" + e.getMessage() + "); use --force",
              e);
        }
      }
    }
    files.remove(jail);
    store.remove(jail.name());

    Path repo = jail.repo();
    String branch = jail.branch();
    if (!git.branchExists(repo, branch)) {
      return result(jail, DestroyResult.BranchOutcome.ABSENT, 0);
    }
    int commits = status == null ? -1 : status.commitsSinceBase();
    if (commits == 0) {
      git.deleteBranch(repo, branch, true);
      return result(jail, DestroyResult.BranchOutcome.DELETED_NO_COMMITS, 0);
    }
    if (git.isBranchMergedElsewhere(repo, branch)) {
      git.deleteBranch(repo, branch, true);
      return result(jail, DestroyResult.BranchOutcome.DELETED_MERGED_ELSEWHERE, 0);
    }
    int kept = commits > 0 ? commits : git.unmergedCommitCount(repo, branch);
    return result(jail, DestroyResult.BranchOutcome.KEPT_UNMERGED_COMMITS, kept);
  }

  private static DestroyResult result(
      JailState jail, DestroyResult.BranchOutcome outcome, int keptCommits) {
    return new DestroyResult(jail.name(), jail.repo(), jail.branch(), outcome, keptCommits);
  }
}
