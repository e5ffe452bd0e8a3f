package dev.robojail.jail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A jail's private git directory: the only git directory the jail can write to.
 *
 * <p>It holds the jail's own {@code HEAD}, index, refs (its branch, and a snapshot of the user's
 * branches and tags taken when the jail was made) and objects; the user's objects are reached
 * through {@code objects/info/alternates}, read-only inside the jail. Nothing else of the user's
 * git directory (config, hooks, refs, {@code info/}) is visible inside, so whatever the jail does
 * to git, the user's repository is untouched.
 *
 * <p>The jail's commits reach the user's repository only through {@link #importBranch}, which
 * treats this directory as hostile data: it never runs git with this directory as its git directory
 * or reads its configuration. It reads the branch's ref file itself (no symbolic links followed),
 * copies the object files as plain bytes into a temporary directory (so the jail's {@code
 * info/alternates} is never followed), and lets the user's git pack, check ({@code --strict}) and
 * store only the objects the branch needs.
 */
final class JailGitDir {
  private static final Pattern OBJECT_ID = Pattern.compile("[0-9a-f]{40}(?:[0-9a-f]{24})?");
  static final Pattern LOOSE_DIR = Pattern.compile("[0-9a-f]{2}");
  static final Pattern LOOSE_FILE = Pattern.compile("[0-9a-f]{38}(?:[0-9a-f]{24})?");
  private static final Pattern PACK_FILE = Pattern.compile("pack-[0-9a-f]{40,64}\\.(?:pack|idx)");
  private static final long MAX_REF_FILE = 64L << 20;

  private JailGitDir() {}

  /**
   * Makes the private git directory {@code gitDir} with {@code branch} at {@code base} checked out,
   * and fills {@code worktree} (which must not exist) with the files of {@code base}.
   */
  static void create(
      Git git,
      Path repo,
      Path commonDir,
      String format,
      Path gitDir,
      Path worktree,
      String branch,
      String base,
      Map<String, String> identity)
      throws IOException {
    JailLayout.createPrivateDirectories(gitDir.getParent());
    Files.createDirectory(gitDir);
    Files.createDirectories(gitDir.resolve("objects/info"));
    Files.createDirectories(gitDir.resolve("objects/pack"));
    Files.createDirectories(gitDir.resolve("refs/tags"));
    Path ref = gitDir.resolve("refs/heads/" + branch);
    Files.createDirectories(ref.getParent());
    Files.writeString(
        gitDir.resolve("objects/info/alternates"), commonDir.resolve("objects") + "\n");
    Files.writeString(gitDir.resolve("HEAD"), "ref: refs/heads/" + branch + "\n");
    Files.writeString(ref, base + "\n");
    StringBuilder config = new StringBuilder();
    boolean sha1 = format.equals("sha1");
    config
        .append("[core]\n\trepositoryformatversion = ")
        .append(sha1 ? 0 : 1)
        .append("\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n")
        .append("\tworktree = ")
        .append(quote(worktree.toString()))
        .append('\n');
    if (!sha1) {
      config.append("[extensions]\n\tobjectformat = ").append(format).append('\n');
    }
    if (!identity.isEmpty()) {
      config.append("[user]\n");
      identity.forEach(
          (k, v) -> config.append('\t').append(k).append(" = ").append(quote(v)).append('\n'));
    }
    Files.writeString(gitDir.resolve("config"), config.toString());
    protect(gitDir);
    // A snapshot of the user's branches and tags, so that `git log main` works inside; other
    // jails' branches are left out.
    StringBuilder packed = new StringBuilder("# pack-refs with: sorted \n");
    String refs =
        git.run(
            repo, "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/tags");
    for (String line : refs.lines().toList()) {
      if (!line.contains(" refs/heads/robojail/")) {
        packed.append(line).append('\n');
      }
    }
    Files.writeString(gitDir.resolve("packed-refs"), packed.toString());
    Path shallow = commonDir.resolve("shallow");
    if (Files.isRegularFile(shallow, LinkOption.NOFOLLOW_LINKS)) {
      Files.copy(shallow, gitDir.resolve("shallow"));
    }
    Files.createDirectory(worktree);
    Files.writeString(worktree.resolve(".git"), "gitdir: " + gitDir + "\n");
    // Parallel checkout (checkout.workers=0: one worker per CPU) about halves the time on a large
    // tree, even on two CPUs. On a terminal, -v has git show its progress when the checkout takes
    // more than a moment (git delays it by two seconds), which only large trees do.
    List<String> checkout =
        List.of(
            "--git-dir=" + gitDir,
            "--work-tree=" + worktree,
            "-c",
            "checkout.workers=0",
            "read-tree",
            "--reset",
            "-u",
            "refs/heads/" + branch);
    if (Git.stderrIsTerminal()) {
      List<String> verbose = new ArrayList<>(checkout);
      verbose.add(verbose.size() - 1, "-v");
      git.command(worktree).args(verbose).showProgress().run();
    } else {
      git.command(worktree).args(checkout).run();
    }
  }

  /**
   * The files of the private git directory that a git on the host, run in the jail's worktree by
   * the user or an IDE, would obey: its configuration (fsmonitor, filters, hooksPath), {@code
   * hooks/}, {@code info/} (attributes, exclude), and {@code commondir}, which would send git to
   * another directory's configuration. {@code commondir} is made, naming this directory itself, so
   * that it exists to be covered; missing directories are made empty. The jail sees each of them
   * read-only.
   *
   * @throws JailException if one is a symbolic link or not of its kind (a jail of an earlier
   *     version may have replaced it)
   */
  static List<Path> protect(Path gitDir) {
    List<Path> protectedPaths = new ArrayList<>();
    for (String name : List.of("config", "commondir", "hooks", "info")) {
      Path p = gitDir.resolve(name);
      boolean directory = name.equals("hooks") || name.equals("info");
      try {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
          if (directory) {
            Files.createDirectory(p);
          } else {
            Files.writeString(p, ".\n", StandardOpenOption.CREATE_NEW);
          }
        }
        BasicFileAttributes a =
            Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (directory ? !a.isDirectory() : !a.isRegularFile()) {
          throw new JailException(
              "the jail's git directory has something else than a "
                  + (directory ? "directory" : "file")
                  + " at "
                  + TerminalSafe.sanitizeLine(p.toString())
                  + "; destroy the jail and create it again");
        }
      } catch (IOException e) {
        throw new JailException("cannot prepare " + p + ": " + e, e);
      }
      protectedPaths.add(p);
    }
    return protectedPaths;
  }

  private static String quote(String value) {
    return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  /**
   * The commit the jail's branch points at in its private git directory, or empty if the jail
   * deleted it. Nothing is followed: the ref file and each directory above it inside {@code gitDir}
   * must be real files and directories.
   *
   * @throws JailException if the ref is not a plain object id
   */
  static Optional<String> tip(Path gitDir, String branch) {
    String refName = "refs/heads/" + branch;
    Path dir = gitDir;
    String[] parts = refName.split("/");
    boolean loose = true;
    for (int i = 0; i < parts.length - 1 && loose; i++) {
      dir = dir.resolve(parts[i]);
      loose = isDirectory(dir);
    }
    if (loose) {
      Optional<String> content = readSmall(dir.resolve(parts[parts.length - 1]));
      if (content.isPresent()) {
        return Optional.of(objectId(content.get().strip(), refName));
      }
    }
    Optional<String> packed = readSmall(gitDir.resolve("packed-refs"));
    if (packed.isPresent()) {
      for (String line : packed.get().lines().toList()) {
        if (line.endsWith(" " + refName)
            && line.length() == line.indexOf(' ') + 1 + refName.length()) {
          return Optional.of(objectId(line.substring(0, line.indexOf(' ')), refName));
        }
      }
    }
    return Optional.empty();
  }

  private static String objectId(String value, String refName) {
    if (!OBJECT_ID.matcher(value).matches()) {
      throw new JailException(
          "the jail's "
              + refName
              + " is not a commit id: "
              + TerminalSafe.sanitizeLine(value.substring(0, Math.min(80, value.length()))));
    }
    return value;
  }

  static boolean isDirectory(Path p) {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
          .isDirectory();
    } catch (IOException e) {
      return false;
    }
  }

  // A regular file only, opened with O_NOFOLLOW.
  private static Optional<String> readSmall(Path file) {
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new JailException("cannot read the jail's " + file.getFileName() + ": " + e, e);
    }
    if (!attrs.isRegularFile() || attrs.size() > MAX_REF_FILE) {
      throw new JailException(
          "the jail's "
              + file.getFileName()
              + " is not a plain ref file (a symbolic link, a directory or too large)");
    }
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.of(new String(in.readNBytes((int) MAX_REF_FILE), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new JailException("cannot read the jail's " + file.getFileName() + ": " + e, e);
    }
  }

  /**
   * What {@link #importBranch} did.
   *
   * @param moved whether the user's branch moved
   * @param userTip the commit the user's {@code refs/heads/BRANCH} points at afterwards, when the
   *     import found it out (empty when the jail has no such branch)
   */
  record Import(boolean moved, Optional<String> userTip) {}

  /**
   * Brings the jail's branch into the user's repository: the objects it needs, then {@code
   * refs/heads/BRANCH} moved to the jail's tip.
   */
  static Import importBranch(
      Git git, Path repo, Path gitDir, String branch, Supplier<Path> scratch) {
    Optional<String> found = tip(gitDir, branch);
    if (found.isEmpty()) {
      return new Import(false, Optional.empty());
    }
    String tip = found.get();
    Path commonDir = git.commonDir(repo);
    List<String> inRepo = List.of("--git-dir=" + commonDir);
    String refName = "refs/heads/" + branch;
    Git.Result old =
        git.command(repo)
            .args(inRepo)
            .args("rev-parse", "--verify", "--quiet", refName)
            .allowFailure()
            .run();
    String oldTip = old.exitCode() == 0 ? old.line() : null;
    if (tip.equals(oldTip)) {
      return new Import(false, Optional.of(tip));
    }
    requireNotCheckedOut(git, repo, refName);
    Path temp = scratch.get();
    try {
      Path objects = Files.createDirectory(temp.resolve("objects"));
      copyObjects(gitDir.resolve("objects"), objects);
      Map<String, String> alt = Map.of("GIT_ALTERNATE_OBJECT_DIRECTORIES", objects.toString());
      // Not --all: the pack must hold all the jail's branch needs beyond the user's own refs
      // and its own earlier imports, even objects another jail's imported pack has (ObjectView).
      List<String> revList =
          new ArrayList<>(
              List.of(
                  "rev-list",
                  "--objects",
                  tip,
                  "--not",
                  "--exclude=refs/heads/robojail/*",
                  "--all"));
      if (oldTip != null) {
        revList.add(oldTip);
      }
      Git.Result list = git.command(repo).env(alt).args(inRepo).args(revList).allowFailure().run();
      if (list.exitCode() != 0) {
        throw new JailException(
            "cannot import the jail's branch "
                + TerminalSafe.sanitizeLine(branch)
                + ": its history is incomplete or broken ("
                + TerminalSafe.sanitizeLine(list.stderr().strip().replace('\n', ' '))
                + ")");
      }
      StringBuilder ids = new StringBuilder();
      int count = 0;
      for (String line : list.out().lines().toList()) {
        int space = line.indexOf(' ');
        ids.append(space < 0 ? line : line.substring(0, space)).append('\n');
        count++;
      }
      if (count > 0) {
        // Through a file, not memory: the jail decides how large its objects are.
        String hash =
            git.command(repo)
                .env(alt)
                .args(inRepo)
                .args("pack-objects", "-q", temp.resolve("out").toString())
                .input(ids.toString().getBytes(StandardCharsets.US_ASCII))
                .run()
                .line();
        if (!OBJECT_ID.matcher(hash).matches()) {
          throw new JailException("git pack-objects printed no pack name");
        }
        // Always a pack of its own, kept, and labelled with what it brought: ObjectView shows it
        // only to the jail it came from, until the user's own refs reach it.
        git.command(repo)
            .args(inRepo)
            .args(
                "index-pack",
                "--stdin",
                "--strict",
                "--keep=" + ObjectView.KEEP_PREFIX + branch + " " + tip)
            .input(temp.resolve("out-" + hash + ".pack"))
            .run();
      }
      // Connectivity, without the jail's objects: everything the tip needs is now in the repo.
      git.command(repo)
          .args(inRepo)
          .args("rev-list", "--objects", "--quiet", tip, "--not", "--all")
          .run();
      String type = git.command(repo).args(inRepo).args("cat-file", "-t", tip).run().line();
      if (!type.equals("commit")) {
        throw new JailException("the jail's branch points at a " + type + ", not a commit");
      }
      String zero = "0".repeat(tip.length());
      git.command(repo)
          .args(inRepo)
          .args(
              "update-ref",
              "-m",
              "robojail: import from the jail",
              refName,
              tip,
              oldTip == null ? zero : oldTip)
          .run();
      return new Import(true, Optional.of(tip));
    } catch (IOException e) {
      throw new JailException("cannot read the jail's objects: " + e, e);
    } finally {
      deleteQuietly(temp);
    }
  }

  // Moving a branch that a worktree of the user's has checked out moves that worktree's HEAD
  // under its index and files: the user's next commit would undo the jail's work.
  private static void requireNotCheckedOut(Git git, Path repo, String refName) {
    String list = git.run(repo, "worktree", "list", "--porcelain", "-z");
    Path worktree = null;
    for (String field : list.split("\0")) {
      if (field.startsWith("worktree ")) {
        worktree = Path.of(field.substring("worktree ".length()));
      } else if (field.equals("branch " + refName)) {
        String branch = refName.substring("refs/heads/".length());
        throw new JailConflictException(
            TerminalSafe.sanitizeLine(
                "the jail's branch "
                    + branch
                    + " is checked out in "
                    + worktree
                    + ", so robojail will not move it to the jail's new commits; switch that"
                    + " worktree to another branch (git -C "
                    + worktree
                    + " switch -), then try again"));
      }
    }
  }

  // Plain copies of loose objects and packs; info/ (alternates, commit-graph) is left behind.
  private static void copyObjects(Path from, Path to) throws IOException {
    if (!isDirectory(from)) {
      return;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(from)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (LOOSE_DIR.matcher(name).matches() && isDirectory(entry)) {
          Path target = null;
          try (DirectoryStream<Path> files = Files.newDirectoryStream(entry)) {
            for (Path f : files) {
              if (LOOSE_FILE.matcher(f.getFileName().toString()).matches()) {
                if (target == null) {
                  target = Files.createDirectory(to.resolve(name));
                }
                copyFile(f, target.resolve(f.getFileName().toString()));
              }
            }
          }
        } else if (name.equals("pack") && isDirectory(entry)) {
          Path target = Files.createDirectory(to.resolve("pack"));
          try (DirectoryStream<Path> files = Files.newDirectoryStream(entry)) {
            for (Path f : files) {
              if (PACK_FILE.matcher(f.getFileName().toString()).matches()) {
                copyFile(f, target.resolve(f.getFileName().toString()));
              }
            }
          }
        }
      }
    }
  }

  private static void copyFile(Path from, Path to) throws IOException {
    try (InputStream in = Files.newInputStream(from, LinkOption.NOFOLLOW_LINKS);
        OutputStream out = Files.newOutputStream(to, StandardOpenOption.CREATE_NEW)) {
      in.transferTo(out);
    } catch (IOException e) {
      // A symbolic link (ELOOP), a directory or a vanished file is not an object of the jail's;
      // if the branch needed it, rev-list reports the history as broken.
      Files.deleteIfExists(to);
    }
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // A leftover temporary file is harmless.
    }
  }
}
