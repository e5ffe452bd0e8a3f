package dev.robojail.jail;

import java.util.List;
import java.util.Objects;

/**
 * What a jail changed, computed from outside by {@link JailInspector}.
 *
 * @param name the jail
 * @param branch the jail's branch
 * @param baseCommit the commit the jail started from
 * @param changes every file that differs between the base commit and the working tree, committed or
 *     not, including untracked files that are not ignored
 * @param insertions lines added over all text files
 * @param deletions lines removed over all text files
 * @param commitsSinceBase commits on the jail's branch since the base commit
 * @param uncommittedChanges whether the working tree differs from the tip of the jail's branch
 * @param reviewFirst changed files that will run on the user's machine later (hooks, CI, build
 *     files, editor and agent settings, submodule pointers…), to review before anything else
 */
public record JailStatus(
    JailName name,
    String branch,
    String baseCommit,
    List<FileChange> changes,
    long insertions,
    long deletions,
    int commitsSinceBase,
    boolean uncommittedChanges,
    List<ReviewFirst.Flagged> reviewFirst) {

  public JailStatus {
    Objects.requireNonNull(name, "name");
    changes = List.copyOf(changes);
    reviewFirst = List.copyOf(reviewFirst);
  }

  /** Files added, including nested repositories. */
  public int added() {
    return count(FileChange.Kind.ADDED) + count(FileChange.Kind.NESTED_REPOSITORY);
  }

  /** Files modified, including type changes. */
  public int modified() {
    return count(FileChange.Kind.MODIFIED) + count(FileChange.Kind.TYPE_CHANGED);
  }

  /** Files deleted. */
  public int deleted() {
    return count(FileChange.Kind.DELETED);
  }

  /** Files renamed. */
  public int renamed() {
    return count(FileChange.Kind.RENAMED);
  }

  /** Submodule pointers the jail's commits added, removed or moved. */
  public int submodules() {
    return count(FileChange.Kind.SUBMODULE);
  }

  /** Whether the jail changed nothing, committed or not. */
  public boolean isClean() {
    return changes.isEmpty() && commitsSinceBase == 0;
  }

  private int count(FileChange.Kind kind) {
    return (int) changes.stream().filter(c -> c.kind() == kind).count();
  }
}
