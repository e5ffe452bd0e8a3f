package dev.robojail.jail;

import java.util.Objects;

/**
 * One file that differs between a jail's base commit and its working tree, or a submodule pointer
 * the jail's commits moved.
 *
 * <p>Paths are exactly as the jail wrote them and may contain any character: print them through
 * {@link TerminalSafe#sanitizeLine}.
 *
 * @param kind how the file changed
 * @param path the file's path relative to the worktree (its new path for a rename)
 * @param oldPath the path it was renamed from, or {@code null}
 * @param insertions lines added, or -1 for a binary file
 * @param deletions lines removed, or -1 for a binary file
 * @param oldCommit for a {@link Kind#SUBMODULE}, the commit the pointer had at the base, or {@code
 *     null} for a submodule the jail added; {@code null} for other kinds
 * @param newCommit for a {@link Kind#SUBMODULE}, the commit the jail's branch points it at, or
 *     {@code null} for a submodule the jail removed; {@code null} for other kinds
 * @param committed whether the jail committed this change, or part of it (a merge takes it)
 * @param uncommitted what of the change is not committed, as the jail's git would call it
 */
public record FileChange(
    Kind kind,
    String path,
    String oldPath,
    int insertions,
    int deletions,
    String oldCommit,
    String newCommit,
    boolean committed,
    Uncommitted uncommitted) {
  /** How a file changed. */
  public enum Kind {
    ADDED,
    MODIFIED,
    DELETED,
    RENAMED,
    /** A file became a symlink or the other way round. */
    TYPE_CHANGED,
    /**
     * A directory with its own {@code .git}, or the directory of a submodule with files in it; its
     * contents are not inspected, and count as uncommitted work.
     */
    NESTED_REPOSITORY,
    /**
     * A submodule pointer (gitlink) the jail's commits added, removed or moved: a merge moves it,
     * and the next {@code git submodule update} checks out the commit the jail chose.
     */
    SUBMODULE
  }

  /**
   * What of a change is not in the jail's commits. Staged and unstaged are what the jail's own
   * index says, which the jail controls: they inform, and decide nothing.
   */
  public enum Uncommitted {
    /** Nothing: the whole change is committed. */
    NONE,
    /** Added to the jail's index ({@code git add}), not committed. */
    STAGED,
    /** Changed in the worktree and not added. */
    UNSTAGED,
    /** A new file the jail's git does not track. */
    UNTRACKED
  }

  public FileChange {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(uncommitted, "uncommitted");
  }

  /** An uncommitted change that is not a submodule. */
  public FileChange(Kind kind, String path, String oldPath, int insertions, int deletions) {
    this(kind, path, oldPath, insertions, deletions, null, null, false, Uncommitted.UNSTAGED);
  }

  /** A submodule pointer the jail committed; {@code null} for none on that side. */
  static FileChange submodule(String path, String oldCommit, String newCommit) {
    return new FileChange(
        Kind.SUBMODULE, path, null, -1, -1, oldCommit, newCommit, true, Uncommitted.NONE);
  }

  /** This change, with what of it is committed. */
  FileChange withState(boolean committed, Uncommitted uncommitted) {
    return new FileChange(
        kind, path, oldPath, insertions, deletions, oldCommit, newCommit, committed, uncommitted);
  }

  /** For a {@link Kind#SUBMODULE}: "added", "removed" or "moved"; otherwise null. */
  public String submoduleChange() {
    if (kind != Kind.SUBMODULE) {
      return null;
    }
    return oldCommit == null ? "added" : newCommit == null ? "removed" : "moved";
  }

  /** Whether git considers the file binary (or too large to diff). */
  public boolean binary() {
    return insertions < 0;
  }
}
