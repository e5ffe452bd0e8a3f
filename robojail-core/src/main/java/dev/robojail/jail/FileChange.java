package dev.robojail.jail;

import java.util.Objects;

/**
 * One file that differs between a jail's base commit and its working tree.
 *
 * <p>Paths are exactly as the jail wrote them and may contain any character: print them through
 * {@link TerminalSafe#sanitizeLine}.
 *
 * @param kind how the file changed
 * @param path the file's path relative to the worktree (its new path for a rename)
 * @param oldPath the path it was renamed from, or {@code null}
 * @param insertions lines added, or -1 for a binary file
 * @param deletions lines removed, or -1 for a binary file
 */
public record FileChange(Kind kind, String path, String oldPath, int insertions, int deletions) {
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
    NESTED_REPOSITORY
  }

  public FileChange {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(path, "path");
  }

  /** Whether git considers the file binary (or too large to diff). */
  public boolean binary() {
    return insertions < 0;
  }
}
