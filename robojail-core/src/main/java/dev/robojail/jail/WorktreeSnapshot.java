package dev.robojail.jail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * A jail's working tree seen through a temporary index, so that host-side git compares it with the
 * base commit without trusting anything the jail wrote into git's files.
 *
 * <p>Three things in the jail's reach are deliberately not used:
 *
 * <ul>
 *   <li>the worktree's {@code .git} file, which the jail can point at a git directory of its own
 *       whose configuration runs programs (core.fsmonitor, filters, hooks);
 *   <li>the worktree's administrative directory, whose {@code commondir} and {@code
 *       config.worktree} the jail can rewrite when it is mounted writable so that git works inside
 *       the jail;
 *   <li>the jail's index, whose assume-unchanged and skip-worktree bits and stat data can hide a
 *       modified file from {@code git diff}.
 * </ul>
 *
 * Instead git runs with a git directory robojail makes for the review in a temporary directory, the
 * worktree as {@code --work-tree}, and a fresh index built from the base commit, with every
 * untracked, unignored file added as intent-to-add so that diffs show it as new. That git directory
 * has no configuration of its own and reads the user's objects ({@code GIT_OBJECT_DIRECTORY}), so
 * that not even the user's own repository configuration is read: a {@code .gitattributes} the jail
 * wrote can select a filter, diff or merge driver only by a name some configuration defines
 * (git-lfs, git-crypt, nbstripout in the user's {@code .git/config}), and here none does. Only the
 * user's {@code info/exclude} and {@code shallow} are copied in.
 *
 * <p>That index starts as a copy of the <em>checkout index</em> when there is one: the index that
 * {@code create} wrote when it checked the base commit out, copied to a host-only file before the
 * jail ever ran ({@link Jails}). Its stat data spares hashing every file of the worktree on every
 * status: git re-reads only files whose stat data changed. That is sound against a hostile jail
 * because the comparison includes the change time ({@code core.trustctime} and {@code
 * core.checkStat=default} are forced here), which the kernel sets on every write, rename, link,
 * chmod or utime and which no process can set back: any change the jail makes happens after the
 * snapshot, so its change time differs from the recorded one; and an entry written in the same
 * second as the index is "racily clean" to git and compared by content (the copy keeps the index's
 * modification time for that). The jail's own index is never used. Without a checkout index (jails
 * made by earlier versions) the index is built with {@code read-tree}.
 */
final class WorktreeSnapshot implements AutoCloseable {
  private final Git git;
  private final Path worktree;
  private final List<String> prefix;
  private final Map<String, String> env;
  private final Path tempDir;
  private final List<String> nestedRepositories;

  private final Path repo;
  private final Path commonDir;

  private WorktreeSnapshot(Git git, Path repo, Path commonDir, Path worktree, Path tempDir) {
    this.git = git;
    this.repo = repo;
    this.commonDir = commonDir;
    this.worktree = worktree;
    this.prefix =
        List.of(
            "--git-dir=" + tempDir.resolve("git"),
            "--work-tree=" + worktree,
            "--literal-pathspecs",
            "-c",
            "core.trustctime=true",
            "-c",
            "core.checkStat=default");
    this.env =
        Map.of(
            "GIT_INDEX_FILE",
            tempDir.resolve("index").toString(),
            "GIT_OBJECT_DIRECTORY",
            commonDir.resolve("objects").toString());
    this.tempDir = tempDir;
    this.nestedRepositories = new ArrayList<>();
  }

  /** Builds the temporary index for the jail's worktree against {@code base}. */
  static WorktreeSnapshot of(Git git, JailState jail, String base) {
    return of(git, jail, base, null, null);
  }

  private static Path systemTemp() {
    try {
      return Files.createTempDirectory("robojail-status-");
    } catch (IOException e) {
      throw new JailException("cannot create a temporary directory: " + e, e);
    }
  }

  /**
   * Builds the temporary index for the jail's worktree against {@code base}, starting from the
   * checkout index {@code checkoutIndex} (host-only, written when the jail's worktree was checked
   * out at {@code base}) when it is a regular file; {@code null} for none.
   */
  static WorktreeSnapshot of(
      Git git, JailState jail, String base, Path checkoutIndex, Supplier<Path> scratch) {
    Path worktree = jail.worktree().toAbsolutePath().normalize();
    JailLayout.requirePresent(jail);
    Path commonDir = git.commonDir(jail.repo());
    Path tempDir = scratch == null ? systemTemp() : scratch.get();
    WorktreeSnapshot snapshot =
        new WorktreeSnapshot(git, jail.repo(), commonDir, worktree, tempDir);
    try {
      snapshot.reviewGitDir(base.length() == 64 ? "sha256" : "sha1");
      snapshot.prepare(base, checkoutIndex);
      return snapshot;
    } catch (RuntimeException e) {
      snapshot.close();
      throw e;
    }
  }

  // Files the user wrote, copied as plain bytes: what is ignored, and where a shallow history ends.
  private void reviewGitDir(String format) {
    Path dir = tempDir.resolve("git");
    try {
      Files.createDirectories(dir.resolve("refs"));
      Files.createDirectories(dir.resolve("info"));
      Files.writeString(dir.resolve("HEAD"), "ref: refs/heads/robojail-review\n");
      Files.writeString(
          dir.resolve("config"),
          format.equals("sha1")
              ? "[core]\n\trepositoryformatversion = 0\n"
              : "[core]\n\trepositoryformatversion = 1\n[extensions]\n\tobjectformat = "
                  + format
                  + "\n");
      for (String name : List.of("info/exclude", "shallow")) {
        Path from = commonDir.resolve(name);
        if (Files.isRegularFile(from, LinkOption.NOFOLLOW_LINKS)) {
          Files.copy(from, dir.resolve(name), LinkOption.NOFOLLOW_LINKS);
        }
      }
    } catch (IOException e) {
      throw new JailException("cannot write " + dir + ": " + e, e);
    }
  }

  private void prepare(String base, Path checkoutIndex) {
    if (!copyCheckoutIndex(checkoutIndex)) {
      git("read-tree", base);
    }
    // Refresh the stat data once, so later diffs compare contents only of files that changed.
    run(List.of("update-index", "-q", "--refresh"), false);
    List<String> untracked = new ArrayList<>();
    for (String path : nulSeparated(git("ls-files", "-z", "--others", "--exclude-standard"))) {
      // Git lists a directory holding its own repository as "dir/" and does not look inside.
      if (path.endsWith("/")) {
        nestedRepositories.add(path);
      } else {
        untracked.add(path);
      }
    }
    // Git does not look inside the directory of a submodule (a gitlink entry): files the jail
    // wrote into one it never initialised would be neither listed nor kept by destroy.
    for (String entry : nulSeparated(git("ls-files", "-z", "--stage"))) {
      int tab = entry.indexOf('\t');
      if (tab > 0 && entry.startsWith("160000 ")) {
        String path = entry.substring(tab + 1);
        if (isNonEmptyDirectory(worktree.resolve(path))) {
          nestedRepositories.add(path + "/");
        }
      }
    }
    if (!untracked.isEmpty()) {
      Path pathspecs = tempDir.resolve("untracked");
      try {
        Files.writeString(pathspecs, String.join("\0", untracked) + "\0");
      } catch (IOException e) {
        throw new JailException("cannot write " + pathspecs + ": " + e, e);
      }
      git("add", "--intent-to-add", "--pathspec-from-file=" + pathspecs, "--pathspec-file-nul");
    }
  }

  private static boolean isNonEmptyDirectory(Path dir) {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.findAny().isPresent();
    } catch (IOException e) {
      // Unreadable: what is inside cannot be known, so it counts as work.
      return true;
    }
  }

  // The copy keeps the index file's modification time: git's racy-entry check compares with it.
  private boolean copyCheckoutIndex(Path checkoutIndex) {
    if (checkoutIndex == null || !Files.isRegularFile(checkoutIndex, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    try {
      Files.copy(
          checkoutIndex,
          tempDir.resolve("index"),
          StandardCopyOption.COPY_ATTRIBUTES,
          LinkOption.NOFOLLOW_LINKS);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Runs git on the snapshot; a non-zero exit is a {@link GitException}. */
  String git(String... args) {
    return run(List.of(args), true).out();
  }

  /** Runs git on the snapshot. */
  Git.Result run(List<String> args, boolean check) {
    Git.Command command = git.command(worktree).env(env).args(prefix).args(args);
    return (check ? command : command.allowFailure()).run();
  }

  /**
   * Runs git on the user's repository itself, without the worktree: for its refs, which the review
   * git directory does not have.
   */
  Git.Result inRepository(List<String> args) {
    return git.command(repo).args("--git-dir=" + commonDir).args(args).allowFailure().run();
  }

  /** Directories of untracked nested repositories, each ending in {@code /}. */
  List<String> nestedRepositories() {
    return List.copyOf(nestedRepositories);
  }

  Path worktree() {
    return worktree;
  }

  static List<String> nulSeparated(String output) {
    if (output.isEmpty()) {
      return List.of();
    }
    List<String> parts = new ArrayList<>(List.of(output.split("\0", -1)));
    if (parts.getLast().isEmpty()) {
      parts.removeLast();
    }
    return parts;
  }

  @Override
  public void close() {
    try (Stream<Path> files = Files.walk(tempDir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // A leftover file in the temporary directory is harmless.
    }
  }
}
