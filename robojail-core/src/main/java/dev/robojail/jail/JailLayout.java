package dev.robojail.jail;

import java.nio.file.Path;

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
 * network/NAME.log        every connection through the jail's egress proxy
 * </pre>
 *
 * Nothing here is inside the user's repository, and nothing but the worktree and the private git
 * directory is visible inside a jail.
 */
final class JailLayout {
  private final Dirs dirs;

  JailLayout(Dirs dirs) {
    this.dirs = dirs;
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

  /**
   * The log of every connection the jail made through its egress proxy ({@link
   * dev.robojail.net.ConnectionLog}), host-side only; {@code status} counts its refusals.
   */
  Path networkLog(JailName name) {
    return dirs.stateFile().resolveSibling("network").resolve(name.value() + ".log");
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
