package dev.robojail.jail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;

/**
 * Every path robojail keeps for its jails, in one place. Under the data directory ({@link
 * Dirs#dataDir()}):
 *
 * <pre>
 * jails/NAME              the jail's worktree, bound read-write into the jail
 * gitdirs/NAME.git        the jail's private git directory ({@link JailGitDir})
 * checkout-index/NAME     the index git wrote at checkout, host-only ({@link WorktreeSnapshot})
 * </pre>
 *
 * and beside the state file ({@link Dirs#stateFile()}):
 *
 * <pre>
 * jails.json              every jail ({@link StateStore})
 * running/NAME            the host pid, start time and boot id of a running jail's PID 1
 * </pre>
 *
 * Nothing here is inside the user's repository, and nothing but the worktree and the private git
 * directory is visible inside a jail. Every directory robojail creates on the way is its owner's
 * alone (0700, {@link #createPrivateDirectories}): the state and the jails' copies of the user's
 * work are nobody else's business.
 */
final class JailLayout {
  private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

  private final Dirs dirs;

  JailLayout(Dirs dirs) {
    this.dirs = dirs;
  }

  /** Creates {@code dir} and its missing parents, each mode 0700; existing ones are left alone. */
  static Path createPrivateDirectories(Path dir) throws IOException {
    return Files.createDirectories(dir, OWNER_ONLY);
  }

  Dirs dirs() {
    return dirs;
  }

  /** The directory holding every jail's worktree. */
  Path worktrees() {
    return dirs.jailsDir();
  }

  /** The jail's worktree. */
  Path worktree(JailName name) {
    return dirs.jailDir(name);
  }

  /** The directory holding every jail's private git directory. */
  Path gitDirs() {
    return dirs.dataDir().resolve("gitdirs");
  }

  /**
   * Where the jail's private git directory lives: beside the worktrees, never inside the user's
   * repository.
   */
  Path gitDir(JailName name) {
    return gitDirs().resolve(name.value() + ".git");
  }

  /**
   * Where the jail's checkout index is: a copy of the index git wrote when it checked the jail's
   * worktree out, taken before the jail ever ran and kept where the jail cannot reach it. Status
   * starts from it, so that git only re-reads files whose stat data changed (see {@link
   * WorktreeSnapshot} for why that is sound).
   */
  Path checkoutIndex(JailName name) {
    return dirs.dataDir().resolve("checkout-index").resolve(name.value());
  }

  /**
   * The record of a running jail's PID 1: its host pid, start time and boot id, so that destroy
   * --force can end exactly that process (and with it the jail's PID namespace), never a process
   * that reused the pid.
   */
  Path initRecord(JailName name) {
    return dirs.stateFile().resolveSibling("running").resolve(name.value());
  }

  private static final Set<PosixFilePermission> OWNER_ONLY_MODE =
      PosixFilePermissions.fromString("rwx------");

  /**
   * Makes robojail's own directories (the data directory and each of its parts, the state
   * directory) exist and be private to their owner, tightening those made before. A jail can write
   * files that the host obeys, such as a setuid bit the filter missed or a script another user
   * might run; no other local user can then even reach them. The directories above them (such as
   * {@code ~/.local/share}) are the user's and stay as they are.
   */
  void makePrivate() {
    for (Path dir :
        List.of(
            dirs.dataDir(),
            worktrees(),
            gitDirs(),
            dirs.dataDir().resolve("checkout-index"),
            dirs.stateFile().getParent())) {
      try {
        createPrivateDirectories(dir);
        if (!Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS)
            .equals(OWNER_ONLY_MODE)) {
          Files.setPosixFilePermissions(dir, OWNER_ONLY_MODE);
        }
      } catch (IOException e) {
        throw new JailException(
            "cannot make " + TerminalSafe.sanitizeLine(dir.toString()) + " private (0700): " + e,
            e);
      }
    }
  }

  /**
   * Whether the jail has a private git directory where this layout puts it. Jails made before
   * private git directories used a linked worktree of the user's repository instead.
   */
  boolean hasPrivateGitDir(JailState jail) {
    return jail.gitDir()
        .toAbsolutePath()
        .normalize()
        .equals(gitDir(jail.name()).toAbsolutePath().normalize());
  }
}
