package dev.robojail.jail;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What {@link Jails#destroyJail} did with the jail's branch in the user's repository; the jail's
 * worktree, git directory and state entry are gone in every case.
 *
 * @param name the jail
 * @param repo the user's repository the branch is in
 * @param branch the jail's branch, e.g. {@code robojail/NAME-ID}
 * @param outcome what happened to the branch, and why
 * @param keptCommits when the branch was kept, how many of its commits are on no other branch;
 *     otherwise 0
 * @param discarded what {@code force} discarded, one phrase each (uncommitted changes, a running
 *     command); empty when nothing was
 */
public record DestroyResult(
    JailName name,
    Path repo,
    String branch,
    BranchOutcome outcome,
    int keptCommits,
    List<String> discarded) {

  /** What happened to the jail's branch. */
  public enum BranchOutcome {
    /** Deleted: it held no commits of its own. */
    DELETED_NO_COMMITS,
    /** Deleted: every one of its commits is on another local branch too. */
    DELETED_MERGED_ELSEWHERE,
    /** Kept: it holds commits found on no other branch, which deleting it would lose. */
    KEPT_UNMERGED_COMMITS,
    /** There was no such branch any more. */
    ABSENT
  }

  public DestroyResult {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(repo, "repo");
    Objects.requireNonNull(branch, "branch");
    Objects.requireNonNull(outcome, "outcome");
    discarded = List.copyOf(discarded);
  }

  /** A result with nothing discarded. */
  public DestroyResult(
      JailName name, Path repo, String branch, BranchOutcome outcome, int keptCommits) {
    this(name, repo, branch, outcome, keptCommits, List.of());
  }

  /** Whether the branch is still in the user's repository. */
  public boolean branchKept() {
    return outcome == BranchOutcome.KEPT_UNMERGED_COMMITS;
  }
}
