package dev.robojail.jail;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
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
 * records/NAME.json       the jail's entry as created, host-only: {@code doctor --repair} rebuilds a
 *                         lost or corrupt state file from these
 * tmp/KIND-PID-START-N    scratch space of a running robojail (an import's copy of the jail's
 *                         objects, a status's index); swept once the process that made it is gone
 * objects/NAME            the jail's view of the user's objects ({@link ObjectView})
 * logins/NAME            host-only: the digest of each agent credential when host and jail last
 *                         agreed, so that a refresh inside can be told from the host's ({@link
 *                         AgentHome#sync})
 * homes/NAME              the jail's own home directory, mounted read-write at $HOME inside: the
 *                         agent's state, its copy of the login, the caches ({@link AgentHome})
 * cache-work/NAME/KIND    the scratch directory of the overlay that starts a cache from the host's
 *                         ({@link HostCaches}); never seen inside
 * </pre>
 *
 * and beside the state file ({@link Dirs#stateFile()}):
 *
 * <pre>
 * jails.json              every jail ({@link StateStore})
 * running/NAME            the host pid, start time and boot id of a running jail's PID 1
 * sessions/NAME/P-S-N     one per session: its supervisor's pid, start time and boot id, not synced
 *                         ({@link SessionRecords})
 * network/NAME.log        every connection through the jail's egress proxy
 * </pre>
 *
 * Nothing here is inside the user's repository, and nothing but the worktree, the private git
 * directory and the jail's own home is visible inside a jail. Every directory robojail creates on
 * the way is its owner's alone (0700, {@link #createPrivateDirectories}): the state and the jails'
 * copies of the user's work are nobody else's business.
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
   * The jail's view of the user's object store ({@link ObjectView}): links to the user's object
   * files, without other jails' imported work, bound read-only where the user's objects are.
   */
  Path objectView(JailName name) {
    return dirs.dataDir().resolve("objects").resolve(name.value());
  }

  /** The directory holding every jail's home. */
  Path homes() {
    return dirs.dataDir().resolve("homes");
  }

  /**
   * The jail's own home directory, which it sees at the user's {@code $HOME}: kept across runs,
   * never seen by another jail (each has its own, and robojail's data directory is hidden in every
   * jail), deleted with the jail.
   */
  Path home(JailName name) {
    return homes().resolve(name.value());
  }

  /**
   * The overlays' work directories of the jail's seeded caches, one per kind: beside the home, on
   * its filesystem (an overlay's work and upper directories must share one), and never inside it,
   * where the jail could reach them.
   */
  Path cacheWork(JailName name) {
    return dirs.dataDir().resolve("cache-work").resolve(name.value());
  }

  /** The digests of the jail's agent credentials when host and jail last agreed; host-only. */
  Path loginRecord(JailName name) {
    return dirs.dataDir().resolve("logins").resolve(name.value());
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
            homes(),
            dirs.stateFile().getParent())) {
      try {
        createPrivateDirectories(dir);
        // Tightening only takes from group and others: an owner who made a directory read-only
        // keeps it so, and gets "permission denied" where robojail then needs to write.
        Set<PosixFilePermission> mode = EnumSet.noneOf(PosixFilePermission.class);
        mode.addAll(Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS));
        if (mode.retainAll(OWNER_ONLY_MODE)) {
          Files.setPosixFilePermissions(dir, mode);
        }
      } catch (IOException e) {
        throw new JailException(
            "cannot make "
                + TerminalSafe.sanitizeLine(dir.toString())
                + " private (0700): "
                + StateStore.reason(e),
            e);
      }
    }
  }

  /** Where the jail's entry is kept for rebuilding the state; see {@link JailRecords}. */
  Path record(JailName name) {
    return dirs.dataDir().resolve("records").resolve(name.value() + ".json");
  }

  /** The directory of jail records. */
  Path records() {
    return dirs.dataDir().resolve("records");
  }

  /** robojail's scratch directory: kept off {@code /tmp}, so that what a crash leaves is found. */
  Path temp() {
    return dirs.dataDir().resolve("tmp");
  }

  /**
   * A new scratch directory {@code tmp/KIND-PID-START-N}, named after this process so that {@link
   * #sweepTemp} can tell a live one from one a killed robojail left.
   */
  Path newTemp(String kind) {
    Supervisor me = Supervisor.current();
    try {
      Files.createDirectories(temp());
      return Files.createTempDirectory(temp(), kind + "-" + me.pid() + "-" + me.startTime() + "-");
    } catch (IOException e) {
      throw new JailException(
          TerminalSafe.sanitizeLine(
              "cannot create a scratch directory in " + temp() + ": " + StateStore.reason(e)),
          e);
    }
  }

  /** Deletes scratch directories whose robojail process is gone; returns how many. */
  int sweepTemp() {
    int swept = 0;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(temp())) {
      for (Path entry : entries) {
        if (isStale(entry.getFileName().toString())) {
          JailFiles.deleteTreeQuietly(entry);
          swept++;
        }
      }
    } catch (IOException e) {
      // Nothing there yet, or unreadable: the next sweep tries again.
    }
    return swept;
  }

  private static boolean isStale(String name) {
    String[] parts = name.split("-");
    if (parts.length < 4) {
      return false;
    }
    try {
      long pid = Long.parseLong(parts[1]);
      long start = Long.parseLong(parts[2]);
      return Supervisor.of(pid).map(s -> s.startTime() != start).orElse(true);
    } catch (NumberFormatException e) {
      return false;
    }
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

  /**
   * Throws, in the same words for every command, when the jail's worktree or the user's repository
   * is gone: the user moved or deleted something the jail needs.
   */
  static void requirePresent(JailState jail) {
    Path worktree = jail.worktree().toAbsolutePath().normalize();
    if (!Files.isDirectory(worktree, LinkOption.NOFOLLOW_LINKS)) {
      throw new JailException("the worktree of jail " + jail.name() + " is gone: " + worktree);
    }
    if (!Files.isDirectory(jail.repo())) {
      throw new JailException(
          TerminalSafe.sanitizeLine(
              "the repository of jail "
                  + jail.name()
                  + " is gone: "
                  + jail.repo()
                  + "; if it moved, run: robojail relocate "
                  + jail.name()
                  + " --repo NEW-PATH"));
    }
  }
}
