package dev.robojail.jail;

import dev.robojail.sandbox.ShutdownHooks;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Runs the C {@code git} binary, hardened for repositories that a hostile jail may have written to.
 *
 * <p>Git runs programs named in its configuration (fsmonitor, hooks, external diff, textconv,
 * pager, ssh) and a jail can write configuration that git would read. So every invocation drops
 * system and global configuration ({@code GIT_CONFIG_NOSYSTEM}, {@code
 * GIT_CONFIG_GLOBAL=/dev/null}), removes every inherited {@code GIT_*} variable, and overrides each
 * program-running setting on the command line, which takes precedence over every configuration
 * file. Git never prompts and never takes optional locks, so a status does not write to the
 * repository.
 *
 * <p>Consequences worth knowing: the user's global settings (aliases, {@code git lfs install}'s
 * filter, {@code init.defaultBranch}) are not seen, and hooks such as post-checkout do not run when
 * robojail creates a worktree.
 */
public final class Git {
  /** Command-line settings that keep git from running any program a repository names. */
  static final List<String> HARDENING =
      List.of(
          "-c", "core.fsmonitor=false",
          "-c", "core.hooksPath=/dev/null",
          "-c", "diff.external=",
          "-c", "core.pager=cat",
          "-c", "color.ui=false",
          "-c", "core.sshCommand=false",
          "-c", "protocol.allow=never",
          "-c", "credential.helper=",
          "-c", "core.askPass=",
          "-c", "core.editor=false",
          "-c", "sequence.editor=false",
          "-c", "submodule.recurse=false",
          "-c", "diff.ignoreSubmodules=all",
          "-c", "core.untrackedCache=false",
          "-c", "core.splitIndex=false",
          "-c", "gc.auto=0",
          "-c", "maintenance.auto=false",
          "-c", "advice.detachedHead=false");

  // Executables found on PATH, by name: PATH is searched once per JVM, and git is then started
  // by its absolute path (no PATH walk in every child).
  private static final Map<String, String> RESOLVED = new ConcurrentHashMap<>();

  // Git processes of this JVM that are still running: a SIGTERM or SIGINT ends them with the JVM,
  // so that no checkout keeps writing into a jail that is being rolled back. (A SIGKILL cannot
  // be caught: JailRecovery ends those before it undoes their work.)
  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  private static boolean ending;

  // The thread that rolls back on a signal still needs git (to delete the branch it made).
  private static final ThreadLocal<Boolean> EXEMPT = ThreadLocal.withInitial(() -> false);

  /** Whether {@link #endAll} ran: the JVM is exiting and git starts no more (but for cleanup). */
  static boolean isEnding() {
    synchronized (LIVE) {
      return ending;
    }
  }

  static {
    // Idle while no git process of this JVM runs: then a command may end without running it.
    ShutdownHooks.add(
        new Thread(Git::endAll, "robojail-end-git"),
        () -> {
          synchronized (LIVE) {
            return LIVE.isEmpty();
          }
        });
  }

  /**
   * Ends every git process this JVM started and starts no more: for a JVM that is exiting (a
   * shutdown hook may call it too; it is idempotent).
   */
  static void endAll() {
    EXEMPT.set(true);
    List<Process> running;
    synchronized (LIVE) {
      ending = true;
      running = List.copyOf(LIVE);
    }
    // SIGTERM first: git removes its lock files (index.lock, ref locks) when it is terminated,
    // and SIGKILL would leave them for the user to delete.
    for (Process p : running) {
      p.descendants().forEach(ProcessHandle::destroy);
      p.destroy();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    for (Process p : running) {
      try {
        if (!p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          p.descendants().forEach(ProcessHandle::destroyForcibly);
          p.destroyForcibly();
          p.waitFor(2, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private final String executable;

  private volatile boolean recentEnough;

  /** Git from {@code PATH}. */
  public Git() {
    this("git");
  }

  /** The given git executable; a bare name is looked up on {@code PATH} once per JVM. */
  public Git(String executable) {
    this.executable =
        executable.contains("/") ? executable : RESOLVED.computeIfAbsent(executable, Git::onPath);
  }

  // The bare name, for the process launcher to fail on, when PATH has no such program.
  private static String onPath(String name) {
    return Executables.onPath(name, System.getenv("PATH")).map(Path::toString).orElse(name);
  }

  /**
   * What a git command did.
   *
   * @param exitCode its exit status
   * @param stdout its standard output
   * @param stderr its standard error, decoded as UTF-8
   */
  record Result(int exitCode, byte[] stdout, String stderr) {
    String out() {
      return new String(stdout, StandardCharsets.UTF_8);
    }

    /** The output without its trailing newline, for commands that print one value. */
    String line() {
      return out().strip();
    }
  }

  /**
   * Runs git in {@code repo} and returns its standard output.
   *
   * @param repo the directory git runs in ({@code git -C repo})
   * @param args git's arguments
   * @throws GitException if git fails
   */
  public String run(Path repo, String... args) {
    return command(repo).args(args).run().out();
  }

  /** Whether {@code dir} is inside a git working tree. */
  public boolean isRepository(Path dir) {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    Result r = command(dir).args("rev-parse", "--is-inside-work-tree").allowFailure().run();
    return r.exitCode() == 0 && r.line().equals("true");
  }

  /**
   * Whether {@code version} (as {@code git --version} prints it) is a git that honours the
   * configuration robojail hardens it with: {@code GIT_CONFIG_GLOBAL} arrived in 2.32 and {@code
   * GIT_CONFIG_COUNT} in 2.31, and an older git silently ignores both.
   */
  public static boolean isRecentEnough(String version) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("^git version (\\d+)\\.(\\d+)").matcher(version);
    if (!m.find()) {
      return false;
    }
    int major = Integer.parseInt(m.group(1));
    return major > 2 || (major == 2 && Integer.parseInt(m.group(2)) >= 32);
  }

  // An older git would drop the hardening (no hooks, fsmonitor, drivers, the user's global config)
  // without a word, and then run what a jail planted in its worktree's config or attributes on the
  // host. Checked once per Git, before its first real command.
  private void requireRecentEnough(List<String> args) {
    if (recentEnough) {
      return;
    }
    Optional<String> v = version();
    if (v.isPresent() && !isRecentEnough(v.get())) {
      throw new GitException(
          args,
          TerminalSafe.sanitizeLine(v.get())
              + " is too old: robojail needs git 2.32 or later, which honours the hardening robojail"
              + " passes through the environment (GIT_CONFIG_GLOBAL, GIT_CONFIG_COUNT)",
          null);
    }
    // When git cannot run at all, the command itself says so.
    recentEnough = v.isPresent();
  }

  /** What {@code git --version} prints, or empty if git cannot run. */
  public Optional<String> version() {
    try {
      Result r = command(Path.of("/")).args("--version").allowFailure().run();
      return r.exitCode() == 0 ? Optional.of(r.line()) : Optional.empty();
    } catch (GitException e) {
      return Optional.empty();
    }
  }

  /** Whether {@code dir} is (inside) a bare repository, which has no working tree. */
  public boolean isBareRepository(Path dir) {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    Result r = command(dir).args("rev-parse", "--is-bare-repository").allowFailure().run();
    return r.exitCode() == 0 && r.line().equals("true");
  }

  /** The top directory of the working tree that contains {@code dir}. */
  public Path topLevel(Path dir) {
    return Path.of(command(dir).args("rev-parse", "--show-toplevel").run().line());
  }

  /**
   * The repository's common git directory, e.g. {@code /home/u/project/.git}.
   *
   * <p>For the usual layout, {@code repo} the top of a main working tree whose {@code .git} is a
   * real directory without a {@code commondir} file, this is that directory's real path, found
   * without running git; otherwise git is asked. ({@code repo} is the user's repository, never
   * anything a jail can write to.)
   */
  public Path commonDir(Path repo) {
    Path dotGit = repo.resolve(".git");
    try {
      if (Files.readAttributes(dotGit, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
              .isDirectory()
          && !Files.exists(dotGit.resolve("commondir"), LinkOption.NOFOLLOW_LINKS)
          && Files.isRegularFile(dotGit.resolve("HEAD"), LinkOption.NOFOLLOW_LINKS)) {
        return dotGit.toRealPath();
      }
    } catch (IOException e) {
      // not the usual layout: ask git
    }
    return Path.of(
        command(repo).args("rev-parse", "--path-format=absolute", "--git-common-dir").run().line());
  }

  /**
   * What {@code create} needs to know about a repository, from one {@code git rev-parse}.
   *
   * @param topLevel the top directory of the working tree
   * @param commonDir the common git directory
   * @param objectFormat {@code sha1} or {@code sha256}
   * @param commit the full id of the commit the revision names
   */
  public record RepoInfo(Path topLevel, Path commonDir, String objectFormat, String commit) {}

  /**
   * The working tree that contains {@code dir}, and the commit {@code rev} names in it, from one
   * git process.
   *
   * @return empty if {@code dir} is not in a working tree or {@code rev} names no commit (use
   *     {@link #isRepository}, {@link #hasCommits} and {@link #revParse} to tell which)
   */
  public Optional<RepoInfo> repoInfo(Path dir, String rev) {
    requireNoOption("revision", rev);
    if (!Files.isDirectory(dir)) {
      return Optional.empty();
    }
    List<String> args =
        List.of(
            "rev-parse",
            "--path-format=absolute",
            "--show-toplevel",
            "--git-common-dir",
            "--show-object-format",
            "--verify",
            "--quiet",
            rev + "^{commit}");
    Result r = command(dir).args(args).allowFailure().run();
    List<String> lines = r.out().lines().toList();
    if (r.exitCode() != 0 || lines.size() != 4 || lines.getFirst().isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        new RepoInfo(Path.of(lines.get(0)), Path.of(lines.get(1)), lines.get(2), lines.get(3)));
  }

  /** Whether the repository's HEAD points at a commit (a fresh {@code git init} has none). */
  public boolean hasCommits(Path repo) {
    Result r =
        command(repo)
            .args("rev-parse", "--verify", "--quiet", "HEAD^{commit}")
            .allowFailure()
            .run();
    return r.exitCode() == 0;
  }

  /**
   * The full id of the commit {@code rev} names.
   *
   * @throws GitException if it names no commit
   */
  public String revParse(Path repo, String rev) {
    requireNoOption("revision", rev);
    List<String> args = List.of("rev-parse", "--verify", "--quiet", rev + "^{commit}");
    Result r = command(repo).args(args).allowFailure().run();
    if (r.exitCode() != 0) {
      throw new GitException(args, r.exitCode(), "not a commit: " + rev);
    }
    return r.line();
  }

  /**
   * Creates a linked worktree on a new branch: {@code git worktree add -b BRANCH DIR START}.
   *
   * @return the worktree's administrative directory ({@code <common dir>/worktrees/<id>}); record
   *     it, since the {@code .git} file in the worktree that names it can later be rewritten by the
   *     jail
   */
  public Path worktreeAdd(Path repo, Path dir, String newBranch, String startPoint) {
    requireNoOption("branch", newBranch);
    requireNoOption("start point", startPoint);
    Path absolute = dir.toAbsolutePath().normalize();
    command(repo)
        .args("worktree", "add", "--quiet", "-b", newBranch, absolute.toString(), startPoint)
        .run();
    return worktreeGitDir(repo, absolute);
  }

  /**
   * The administrative directory of a linked worktree, found from the repository's side: the entry
   * of {@code <common dir>/worktrees/} whose {@code gitdir} file names {@code worktree/.git}.
   * Nothing inside the worktree is read.
   *
   * @throws JailException if the repository has no such worktree
   */
  public Path worktreeGitDir(Path repo, Path worktree) {
    Path worktrees = commonDir(repo).resolve("worktrees");
    Path expected = realPath(worktree).resolve(".git");
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(worktrees)) {
      for (Path entry : entries) {
        Path gitdirFile = entry.resolve("gitdir");
        if (Files.isRegularFile(gitdirFile, LinkOption.NOFOLLOW_LINKS)
            && Path.of(Files.readString(gitdirFile).strip()).normalize().equals(expected)) {
          return entry;
        }
      }
    } catch (IOException e) {
      throw new JailException("cannot read " + worktrees + ": " + e, e);
    }
    throw new JailException(repo + " has no worktree at " + worktree);
  }

  private static Path realPath(Path path) {
    try {
      return path.toRealPath();
    } catch (IOException e) {
      return path.toAbsolutePath().normalize();
    }
  }

  /** Removes a linked worktree and its administrative directory: {@code git worktree remove}. */
  public void worktreeRemove(Path repo, Path dir, boolean force) {
    List<String> args = new ArrayList<>(List.of("worktree", "remove"));
    if (force) {
      // Twice: also removes a worktree that is locked.
      args.addAll(List.of("--force", "--force"));
    }
    args.add(dir.toAbsolutePath().normalize().toString());
    command(repo).args(args).run();
  }

  /** Forgets worktrees whose directories are gone: {@code git worktree prune}. */
  public void worktreePrune(Path repo) {
    command(repo).args("worktree", "prune").run();
  }

  /**
   * The user's {@code user.name} and {@code user.email} as their own git sees them in {@code repo}:
   * the repository's configuration, then {@code ~/.gitconfig}. Reading configuration runs nothing.
   *
   * @return the keys {@code name} and {@code email} that were found, in that order
   */
  public Map<String, String> identity(Path repo, Path home) {
    Path global = home.resolve(".gitconfig");
    // One process for both keys: "KEY\nVALUE\0" for each value, the last one winning as with
    // --get.
    Result r =
        command(repo)
            .env("GIT_CONFIG_GLOBAL", Files.isRegularFile(global) ? global.toString() : "/dev/null")
            .args("config", "-z", "--get-regexp", "^user\\.(name|email)$")
            .allowFailure()
            .run();
    Map<String, String> values = new HashMap<>();
    if (r.exitCode() == 0) {
      for (String entry : r.out().split("\0")) {
        int newline = entry.indexOf('\n');
        if (newline > 0) {
          values.put(entry.substring(0, newline), entry.substring(newline + 1).strip());
        }
      }
    }
    Map<String, String> found = new LinkedHashMap<>();
    for (String key : List.of("name", "email")) {
      String value = values.get("user." + key);
      if (value != null && !value.isEmpty() && value.chars().noneMatch(c -> c < 0x20)) {
        found.put(key, value);
      }
    }
    return found;
  }

  /** Whether the local branch exists. */
  public boolean branchExists(Path repo, String branch) {
    requireNoOption("branch", branch);
    List<String> args = List.of("show-ref", "--verify", "--quiet", "refs/heads/" + branch);
    Result r = command(repo).args(args).allowFailure().run();
    if (r.exitCode() > 1) {
      throw new GitException(args, r.exitCode(), r.stderr());
    }
    return r.exitCode() == 0;
  }

  /** Deletes a local branch; {@code force} deletes it even when it is not merged. */
  public void deleteBranch(Path repo, String branch, boolean force) {
    requireNoOption("branch", branch);
    command(repo).args("branch", force ? "-D" : "-d", branch).run();
  }

  /** How many commits of {@code branch} are on no other local branch. */
  public int unmergedCommitCount(Path repo, String branch) {
    requireNoOption("branch", branch);
    // --exclude patterns for --branches are relative to refs/heads/.
    List<String> args =
        List.of(
            "rev-list",
            "--count",
            "refs/heads/" + branch,
            "--not",
            "--exclude=" + branch,
            "--branches");
    return Integer.parseInt(command(repo).args(args).run().line());
  }

  /**
   * Whether every commit of {@code branch} is also on another local branch, so that deleting it
   * loses no committed work.
   */
  public boolean isBranchMergedElsewhere(Path repo, String branch) {
    return unmergedCommitCount(repo, branch) == 0;
  }

  /**
   * Environment for a git command in the user's repository that must run no program a {@code
   * .gitattributes} can select, such as {@code merge}: attributes name drivers, and the drivers'
   * commands come from configuration, so every filter and merge driver that {@code repo}'s
   * configuration defines (with its includes; global and system configuration are never read) is
   * overridden on the command line, which wins over every file. A filter becomes a no-op: files are
   * stored and checked out as the bytes git holds (a git-lfs pointer, a git-crypt ciphertext). A
   * merge driver becomes git's own line merge ({@code git merge-file}, this very git), so a
   * conflict still shows its markers. Diff drivers need no override: every diff robojail runs has
   * {@code --no-ext-diff --no-textconv}.
   *
   * <p>The overrides travel as {@code GIT_CONFIG_COUNT}/{@code GIT_CONFIG_KEY_n}/{@code
   * GIT_CONFIG_VALUE_n}, where a driver name may hold any character, even {@code =}.
   */
  Map<String, String> withoutDrivers(Path repo) {
    Result r =
        command(repo)
            .args("config", "-z", "--name-only", "--get-regexp", "^(filter|merge)\\.")
            .allowFailure()
            .run();
    Map<String, String> overrides = new LinkedHashMap<>();
    for (String key : r.exitCode() == 0 ? r.out().split("\0") : new String[0]) {
      int first = key.indexOf('.');
      int last = key.lastIndexOf('.');
      if (first < 0 || last <= first) {
        continue; // a key without a subsection (merge.conflictStyle) names no driver
      }
      String section = key.substring(0, first);
      String prefix = section + key.substring(first, last + 1);
      if (section.equals("filter")) {
        for (String command : List.of("clean", "smudge", "process")) {
          overrides.put(prefix + command, "");
        }
        overrides.put(prefix + "required", "false");
      } else {
        overrides.put(
            prefix + "driver", quoteForShell(executable) + " merge-file --marker-size=%L %A %O %B");
      }
    }
    Map<String, String> env = new LinkedHashMap<>();
    int n = 0;
    for (Map.Entry<String, String> e : overrides.entrySet()) {
      env.put("GIT_CONFIG_KEY_" + n, e.getKey());
      env.put("GIT_CONFIG_VALUE_" + n, e.getValue());
      n++;
    }
    env.put("GIT_CONFIG_COUNT", Integer.toString(n));
    return env;
  }

  private static String quoteForShell(String word) {
    return "'" + word.replace("'", "'\\''") + "'";
  }

  /**
   * A git command to run in {@code cwd} ({@code git -C cwd}), after the hardening options, built
   * like a {@link ProcessBuilder}: {@code git.command(repo).args("rev-parse", "HEAD").run()}.
   */
  Command command(Path cwd) {
    return new Command(cwd);
  }

  /**
   * One git invocation: arguments, extra environment, standard input, and whether a non-zero exit
   * is an error. Standard input is {@code /dev/null} unless given.
   */
  final class Command {
    private final Path cwd;
    private final List<String> args = new ArrayList<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private byte[] input;
    private Path inputFile;
    private boolean showProgress;
    private boolean allowFailure;

    private Command(Path cwd) {
      this.cwd = cwd;
    }

    /** Appends git arguments. */
    Command args(String... more) {
      return args(List.of(more));
    }

    /** Appends git arguments. */
    Command args(List<String> more) {
      args.addAll(more);
      return this;
    }

    /** Adds a variable to the hardened environment, e.g. {@code GIT_INDEX_FILE}. */
    Command env(String name, String value) {
      env.put(name, value);
      return this;
    }

    /** Adds variables to the hardened environment. */
    Command env(Map<String, String> variables) {
      env.putAll(variables);
      return this;
    }

    /** Bytes for git's standard input. */
    Command input(byte[] bytes) {
      input = bytes;
      inputFile = null;
      return this;
    }

    /** A file for git's standard input, for input too large to hold in memory. */
    Command input(Path file) {
      inputFile = file;
      input = null;
      return this;
    }

    /**
     * Sends git's standard error straight to ours (for git's progress output on a terminal); the
     * result's {@code stderr} is then empty.
     */
    Command showProgress() {
      showProgress = true;
      return this;
    }

    /** A non-zero exit is returned in the result instead of thrown as a {@link GitException}. */
    Command allowFailure() {
      allowFailure = true;
      return this;
    }

    /**
     * Runs git and waits for it.
     *
     * @throws GitException if git cannot run, or exits non-zero without {@link #allowFailure()}
     */
    Result run() {
      if (!args.equals(List.of("--version"))) {
        requireRecentEnough(args);
      }
      List<String> command = new ArrayList<>(HARDENING.size() + args.size() + 3);
      command.add(executable);
      command.add("-C");
      command.add(cwd.toString());
      command.addAll(HARDENING);
      command.addAll(args);
      ProcessBuilder builder = new ProcessBuilder(command);
      environment(builder.environment(), env);
      if (input == null) {
        Path from = inputFile == null ? Path.of("/dev/null") : inputFile;
        builder.redirectInput(ProcessBuilder.Redirect.from(from.toFile()));
      }
      if (showProgress) {
        builder.redirectError(ProcessBuilder.Redirect.INHERIT);
      }
      Process process;
      try {
        synchronized (LIVE) {
          if (ending && !EXEMPT.get()) {
            throw new GitException(args, "not started: robojail is ending", null);
          }
          process = builder.start();
          LIVE.add(process);
        }
      } catch (IOException e) {
        if (!executable.contains("/")) {
          throw new GitException(
              args, "git not found: robojail needs git on PATH (install git, or fix PATH)", e);
        }
        throw new GitException(args, "cannot run " + executable + ": " + e.getMessage(), e);
      }
      try {
        CompletableFuture<byte[]> err = drain(process.getErrorStream());
        if (input != null) {
          byte[] bytes = input;
          Thread.ofVirtual().start(() -> feed(process.getOutputStream(), bytes));
        }
        byte[] out = process.getInputStream().readAllBytes();
        int exit = process.waitFor();
        String stderr = new String(err.get(), StandardCharsets.UTF_8);
        if (!allowFailure && exit != 0) {
          throw new GitException(args, exit, stderr);
        }
        return new Result(exit, out, stderr);
      } catch (IOException | ExecutionException e) {
        process.destroyForcibly();
        throw new GitException(args, "cannot read git's output: " + e.getMessage(), e);
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new GitException(args, "interrupted", e);
      } finally {
        LIVE.remove(process);
      }
    }
  }

  /**
   * Whether our standard error is a terminal (Linux: what {@code /proc/self/fd/2} points at), for
   * progress output that must not reach a file or a pipe.
   */
  static boolean stderrIsTerminal() {
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  static void environment(Map<String, String> env, Map<String, String> extra) {
    // Inherited GIT_DIR, GIT_WORK_TREE, GIT_CONFIG_PARAMETERS, GIT_EXTERNAL_DIFF, GIT_SSH_COMMAND
    // and friends would undo the hardening or point git elsewhere.
    env.keySet().removeIf(k -> k.startsWith("GIT_"));
    env.put("GIT_CONFIG_NOSYSTEM", "1");
    env.put("GIT_CONFIG_GLOBAL", "/dev/null");
    env.put("GIT_ATTR_NOSYSTEM", "1");
    env.put("GIT_TERMINAL_PROMPT", "0");
    env.put("GIT_OPTIONAL_LOCKS", "0");
    env.put("GIT_NO_REPLACE_OBJECTS", "1");
    env.put("GIT_PROTOCOL_FROM_USER", "0");
    env.putAll(extra);
  }

  private static CompletableFuture<byte[]> drain(InputStream in) {
    CompletableFuture<byte[]> result = new CompletableFuture<>();
    Thread.ofVirtual()
        .start(
            () -> {
              try (in) {
                result.complete(in.readAllBytes());
              } catch (IOException e) {
                result.completeExceptionally(e);
              }
            });
    return result;
  }

  private static void feed(OutputStream out, byte[] bytes) {
    try (out) {
      out.write(bytes);
    } catch (IOException e) {
      // Git exited before reading everything; its exit status says why.
    }
  }

  // An argument starting with '-' would be taken as an option.
  private static void requireNoOption(String what, String value) {
    if (value.isEmpty() || value.startsWith("-")) {
      throw new IllegalArgumentException("invalid " + what + ": \"" + value + "\"");
    }
  }
}
