package dev.robojail.jail;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * Removes what a jail keeps on disk (see {@link JailLayout}), for destroy and for a create that
 * failed half-way. Only paths inside robojail's own directories are ever deleted.
 */
final class JailFiles {
  private final Git git;
  private final JailLayout layout;

  JailFiles(Git git, JailLayout layout) {
    this.git = git;
    this.layout = layout;
  }

  /** Deletes the jail's checkout index, worktree, private git directory and home. */
  void remove(JailState jail) {
    Path index = layout.checkoutIndex(jail.name());
    try {
      Files.deleteIfExists(index);
    } catch (IOException e) {
      throw new JailException(
          "cannot delete " + TerminalSafe.sanitizeLine(index.toString()) + ": " + e, e);
    }
    // The home is the jail's own data, like its worktree: deleted only here, where the worktree
    // is (a destroy that imported the commits and was allowed to, or a create's rollback), never
    // through a link the jail planted in it.
    try {
      Files.deleteIfExists(layout.loginRecord(jail.name()));
    } catch (IOException e) {
      throw new JailException(
          TerminalSafe.sanitizeLine("cannot delete " + layout.loginRecord(jail.name()) + ": " + e),
          e);
    }
    // The connection log goes with its jail: a new jail of the same name must not show the old
    // one's refusals in its status.
    Path log = layout.networkLog(jail.name());
    for (Path f : List.of(log, dev.robojail.net.ConnectionLog.previous(log))) {
      try {
        Files.deleteIfExists(f);
      } catch (IOException e) {
        throw new JailException(TerminalSafe.sanitizeLine("cannot delete " + f + ": " + e), e);
      }
    }
    Path home = layout.home(jail.name());
    if (Files.exists(home, LinkOption.NOFOLLOW_LINKS)) {
      deleteJailDir(home, layout.homes());
    }
    // The kernel leaves directories of mode 000 in an overlay's work directory: deleteTree opens
    // them up first, as their owner.
    Path cacheWork = layout.cacheWork(jail.name());
    if (Files.exists(cacheWork, LinkOption.NOFOLLOW_LINKS)) {
      deleteJailDir(cacheWork, cacheWork.getParent());
    }
    if (!layout.hasPrivateGitDir(jail)) {
      removeWorktree(jail.repo(), jail.worktree());
      return;
    }
    deleteJailDir(jail.worktree(), layout.worktrees());
    deleteJailDir(jail.gitDir(), layout.gitDirs());
    Path view = layout.objectView(jail.name());
    if (Files.exists(view, LinkOption.NOFOLLOW_LINKS)) {
      deleteJailDir(view, view.getParent());
    }
  }

  private static void deleteJailDir(Path path, Path parent) {
    Path dir = path.toAbsolutePath().normalize();
    Path top = parent.toAbsolutePath().normalize();
    if (!dir.startsWith(top) || dir.equals(top)) {
      throw new JailException(
          "refusing to delete " + TerminalSafe.sanitizeLine(dir.toString()) + ": not a jail dir");
    }
    try {
      deleteTree(dir);
    } catch (IOException e) {
      throw new JailException(
          TerminalSafe.sanitizeLine("cannot delete " + dir + ": " + StateStore.reason(e)), e);
    }
  }

  private void removeWorktree(Path repo, Path worktree) {
    try {
      git.worktreeRemove(repo, worktree, true);
      return;
    } catch (GitException e) {
      // Fall back to removing it by hand, below.
    }
    deleteJailDir(worktree, layout.worktrees());
    git.worktreePrune(repo);
  }

  // Files.walkFileTree does not follow symbolic links unless asked: a link is deleted, never what
  // it points to.
  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs)
              throws IOException {
            // The jail may have made a directory unreadable or unwritable to keep it.
            if (attrs.isDirectory() && !attrs.isSymbolicLink()) {
              try {
                Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
              } catch (IOException | UnsupportedOperationException e) {
                // the deletion below reports what is wrong
              }
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
            // A directory that could not be opened: made readable once, then deleted on its own.
            BasicFileAttributes attrs =
                Files.readAttributes(f, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!attrs.isDirectory() || Files.isReadable(f)) {
              throw e;
            }
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwx------"));
            deleteTree(f);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            if (e != null) {
              throw e;
            }
            delete(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  /** Deletes a tree of robojail's own scratch files; what cannot be deleted is left for later. */
  static void deleteTreeQuietly(Path dir) {
    try {
      deleteTree(dir);
    } catch (IOException e) {
      // The next sweep tries again.
    }
  }

  private static void delete(Path p) throws IOException {
    try {
      Files.delete(p);
    } catch (NoSuchFileException e) {
      // gone already
    }
  }
}
