package dev.robojail.jail;

import dev.robojail.ffm.Syscalls;
import dev.robojail.sandbox.Sandbox;
import dev.robojail.sandbox.SandboxProcess;
import dev.robojail.sandbox.Stdio;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The library facade over jails: create, list, run, inspect and destroy them.
 *
 * <pre>{@code
 * Jails jails = Jails.open();
 * jails.create("demo", Path.of("."), null, null);
 * int status = jails.run("demo", List.of("make", "test"));
 * System.out.println(jails.status("demo").changes());
 * jails.destroy("demo", false);
 * }</pre>
 *
 * <p>A jail is a working tree of the user's repository on a branch of its own, {@code
 * robojail/NAME-ID}, with a private git directory ({@link JailGitDir}) that borrows the user's
 * objects read-only, and a {@link Sandbox} around it. The jail's commits reach the user's branch of
 * the same name only when robojail imports them: on {@link #status}, {@link #destroy} and {@link
 * #planMerge}. Every method checks what it is given before changing anything, and {@link #create}
 * leaves nothing behind when it fails.
 */
public final class Jails {
  private static final String INIT_HINT = "run: git init && git add . && git commit -m initial";
  private static final List<String> SYSTEM_DIRS =
      List.of("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32");
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final java.time.Duration STOP_GRACE = java.time.Duration.ofSeconds(3);

  private final Dirs dirs;
  private final Path home;
  private final Config config;
  private final StateStore store;
  private final Git git;
  private final JailInspector inspector;

  private Jails(Dirs dirs, Path home, Config config, Git git) {
    this.dirs = dirs;
    this.home = home.toAbsolutePath().normalize();
    this.config = config;
    this.store = StateStore.of(dirs);
    this.git = git;
    this.inspector = new JailInspector(git, this::checkoutIndex);
  }

  /**
   * Jails in this user's directories ({@link Dirs#fromSystem()}), with the user's configuration.
   *
   * @throws ConfigException if the configuration file is invalid
   */
  public static Jails open() {
    return open(Dirs.fromSystem(), Dirs.home(System.getenv()));
  }

  /**
   * Jails in the given directories.
   *
   * @param dirs where state, configuration and worktrees live
   * @param home the user's home directory: hidden paths are relative to it, and inside a jail it is
   *     an empty directory
   * @throws ConfigException if the configuration file is invalid
   */
  public static Jails open(Dirs dirs, Path home) {
    return new Jails(dirs, home, ConfigLoader.load(dirs, home), new Git());
  }

  /** The configuration in effect. */
  public Config config() {
    return config;
  }

  /**
   * Makes a jail: a new branch {@code robojail/NAME-ID} at {@code branch} (or HEAD) in the user's
   * repository, and the same branch checked out at {@link Dirs#jailDir} from a private git
   * directory under {@code <data dir>/gitdirs/}.
   *
   * <p>The name is reserved in the state file first, so two processes creating the same name cannot
   * both proceed; if any later step fails, the worktree, the branch and the reservation are all
   * undone.
   *
   * @param name the jail's name
   * @param repo a directory in a git repository with at least one commit
   * @param branch the branch or commit to start from; {@code null} for HEAD
   * @param entrypoint the command {@code enter} runs, resolved now on PATH (or as an absolute or
   *     {@code ~/} path); {@code null} or empty for the configured shell
   * @throws InvalidJailNameException if the name is not acceptable
   * @throws JailConflictException if a jail of that name exists
   * @throws JailException if the repository, the branch or the entrypoint is not usable
   */
  public JailState create(String name, Path repo, String branch, List<String> entrypoint) {
    JailName jailName = JailName.of(name);
    Objects.requireNonNull(repo, "repo");
    Path dir = repo.toAbsolutePath().normalize();
    String start = branch == null || branch.isBlank() ? "HEAD" : branch;
    // One git process answers everything in the usual case; the others only find out what is
    // wrong.
    Optional<Git.RepoInfo> found = git.repoInfo(dir, start);
    if (found.isEmpty()) {
      if (!git.isRepository(dir)) {
        throw new JailException(
            "not a git repository: "
                + TerminalSafe.sanitizeLine(dir.toString())
                + "; "
                + INIT_HINT);
      }
      Path top = git.topLevel(dir);
      if (!git.hasCommits(top)) {
        throw new JailException(
            "the repository "
                + TerminalSafe.sanitizeLine(top.toString())
                + " has no commits yet; "
                + INIT_HINT);
      }
      throw new JailException("no such branch or commit: " + TerminalSafe.sanitizeLine(start));
    }
    Git.RepoInfo info = found.get();
    Path top = info.topLevel();
    String base = info.commit();
    List<String> resolvedEntrypoint =
        entrypoint == null || entrypoint.isEmpty() ? List.of() : resolveEntrypoint(entrypoint);
    String jailBranch = "robojail/" + name + "-" + HexFormat.of().formatHex(randomBytes(4));
    Path worktree = dirs.jailDir(jailName);

    Path gitDir = privateGitDir(jailName);
    JailState reservation =
        new JailState(
            jailName,
            top,
            jailBranch,
            base,
            worktree,
            gitDir,
            Instant.now(),
            resolvedEntrypoint,
            null);
    if (!store.putIfAbsent(reservation)) {
      throw new JailConflictException("jail " + name + " exists");
    }
    boolean worktreeMade = false;
    try {
      if (Files.exists(worktree, LinkOption.NOFOLLOW_LINKS)) {
        throw new JailException(
            "the jail directory "
                + TerminalSafe.sanitizeLine(worktree.toString())
                + " exists already; remove it, or choose another name");
      }
      if (Files.exists(gitDir, LinkOption.NOFOLLOW_LINKS)) {
        throw new JailException(
            "the jail's git directory "
                + TerminalSafe.sanitizeLine(gitDir.toString())
                + " exists already; remove it, or choose another name");
      }
      Files.createDirectories(worktree.getParent());
      worktreeMade = true;
      // The user's branch first, create-only: it keeps the base commit reachable in the user's
      // repository, and two jails can never share a branch.
      git.run(top, "update-ref", "refs/heads/" + jailBranch, base, "0".repeat(base.length()));
      Map<String, String> identity = new LinkedHashMap<>(git.identity(top, home));
      identity.putIfAbsent("name", "robojail " + name);
      identity.putIfAbsent("email", "robojail@localhost");
      JailGitDir.create(
          git,
          top,
          info.commonDir(),
          info.objectFormat(),
          gitDir,
          worktree,
          jailBranch,
          base,
          identity);
      saveCheckoutIndex(gitDir, jailName);
      return reservation;
    } catch (IOException | RuntimeException e) {
      rollback(reservation, worktreeMade, e);
      if (e instanceof JailException je) {
        throw je;
      }
      throw new JailException("cannot create jail " + name + ": " + e.getMessage(), e);
    }
  }

  private void rollback(JailState reservation, boolean worktreeMade, Exception failure) {
    Path repo = reservation.repo();
    try {
      if (worktreeMade) {
        removeJailDirs(reservation);
      }
    } catch (RuntimeException e) {
      failure.addSuppressed(e);
    }
    try {
      if (git.branchExists(repo, reservation.branch())) {
        git.deleteBranch(repo, reservation.branch(), true);
      }
    } catch (RuntimeException e) {
      failure.addSuppressed(e);
    }
    try {
      store.remove(reservation.name());
    } catch (RuntimeException e) {
      failure.addSuppressed(e);
    }
  }

  private static byte[] randomBytes(int n) {
    byte[] bytes = new byte[n];
    RANDOM.nextBytes(bytes);
    return bytes;
  }

  private List<String> resolveEntrypoint(List<String> entrypoint) {
    String command = entrypoint.getFirst();
    Optional<Path> found = findExecutable(command);
    if (found.isEmpty()) {
      throw new JailException("entrypoint not found: " + TerminalSafe.sanitizeLine(command));
    }
    List<String> resolved = new ArrayList<>(entrypoint);
    resolved.set(0, found.get().toString());
    return List.copyOf(resolved);
  }

  private Optional<Path> findExecutable(String command) {
    String path = System.getenv("PATH");
    return Executables.find(command, home, path == null ? Sandbox.DEFAULT_PATH : path);
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

  // Keeps the index's modification time, which git's racy-entry check compares with; made private
  // to the user. Without it, status builds its index from the base commit (and hashes every file).
  private void saveCheckoutIndex(Path gitDir, JailName name) throws IOException {
    Path target = checkoutIndex(name);
    Files.createDirectories(target.getParent());
    Path temp = target.resolveSibling(name.value() + ".tmp");
    Files.deleteIfExists(temp);
    Files.copy(
        gitDir.resolve("index"),
        temp,
        StandardCopyOption.COPY_ATTRIBUTES,
        LinkOption.NOFOLLOW_LINKS);
    Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Where the jail's private git directory lives: beside the worktrees, never inside the user's
   * repository.
   */
  Path privateGitDir(JailName name) {
    return dirs.dataDir().resolve("gitdirs").resolve(name.value() + ".git");
  }

  // Jails made before private git directories used a linked worktree of the user's repository.
  private boolean hasPrivateGitDir(JailState jail) {
    return jail.gitDir()
        .toAbsolutePath()
        .normalize()
        .equals(privateGitDir(jail.name()).toAbsolutePath().normalize());
  }

  /** Every jail, sorted by name. */
  public List<JailState> list() {
    return store.list();
  }

  /**
   * The named jail.
   *
   * @throws JailConflictException if there is none
   */
  public JailState get(String name) {
    JailName jailName = JailName.of(name);
    return store
        .get(jailName)
        .orElseThrow(() -> new JailConflictException("no jail named " + name));
  }

  /**
   * The sandbox a command of this jail runs in.
   *
   * <ul>
   *   <li>the {@linkplain Sandbox.Builder#minimalSystem() minimal system}, with an {@code
   *       /etc/passwd} and {@code /etc/group} naming only root, the user and nobody;
   *   <li>the home directory as an empty tmpfs: nothing of the user's home is visible unless bound;
   *   <li>the worktree read-write at its host path, as the working directory;
   *   <li>the jail's private git directory ({@link JailGitDir}) read-write at its host path, and
   *       the user's object store read-only at its host path, which the private directory reaches
   *       through {@code objects/info/alternates}: git works inside (commit, branch, checkout…),
   *       and nothing else of the user's git directory is visible. A jail made before private git
   *       directories sees the user's whole git directory read-only instead;
   *   <li>the configured extra binds, with hidden paths kept out (see below);
   *   <li>the entrypoint and its {@code #!} interpreter read-only, where outside the system dirs.
   * </ul>
   *
   * <p>Hidden paths ({@code hidden_paths}, relative to the home directory) are kept out of extra
   * binds in two ways. A bind whose source is a hidden path or lies inside one is refused: there is
   * no way to bind it without showing what it hides. A bind whose source contains a hidden path
   * (binding all of {@code ~/.config} while {@code .config/gcloud} is hidden) is allowed, but the
   * hidden path is covered inside the jail by an empty read-only tmpfs. Sources are compared as
   * real paths, so a symbolic link to a hidden path is caught too.
   *
   * @param jail the jail
   * @param command the command and its arguments; empty for the entrypoint, or the configured shell
   * @param interactive whether the command talks to the user's terminal: it then stays in the
   *     caller's session (job control works). Otherwise it gets a session of its own, which keeps
   *     it from injecting input into the terminal ({@code TIOCSTI})
   * @throws JailException if an extra bind exposes a hidden path
   */
  public Sandbox sandbox(JailState jail, List<String> command, boolean interactive) {
    String user = System.getProperty("user.name", "user");
    int uid = Syscalls.getuid();
    int gid = Syscalls.getgid();
    String homeDir = home.toString();
    String shell = config.defaultShell();

    List<String> argv = new ArrayList<>(command);
    if (argv.isEmpty()) {
      argv.addAll(jail.entrypoint().isEmpty() ? List.of(shell) : jail.entrypoint());
    }

    Sandbox.Builder b =
        Sandbox.builder()
            .minimalSystem()
            .file("/etc/passwd", passwd(user, uid, gid, homeDir, shell), 0644)
            .file("/etc/group", group(user, gid), 0644)
            .tmpfs(homeDir, 0, 0700)
            .bind(jail.worktree(), jail.worktree().toString());
    Path commonDir = gitCommonDir(jail);
    if (hasPrivateGitDir(jail)) {
      b.bind(jail.gitDir(), jail.gitDir().toString());
      Path objects = commonDir.resolve("objects");
      b.readOnlyBind(objects, objects.toString());
    } else {
      b.readOnlyBind(commonDir, commonDir.toString());
    }

    List<Path> hidden = config.hiddenPaths().stream().map(h -> realPath(home.resolve(h))).toList();
    for (BindSpec bind : config.extraRoBinds()) {
      b.readOnlyBind(bind.source(), bind.target());
      maskHidden(b, bind, hidden);
    }
    for (BindSpec bind : config.extraRwBinds()) {
      b.bind(bind.source(), bind.target());
      maskHidden(b, bind, hidden);
    }

    List<Path> sources = new ArrayList<>(List.of(jail.worktree()));
    config.extraRoBinds().forEach(bind -> sources.add(bind.source()));
    config.extraRwBinds().forEach(bind -> sources.add(bind.source()));
    refuseHardLinkedSecrets(hidden, sources);

    List<String> path = new ArrayList<>(List.of(Sandbox.DEFAULT_PATH));
    if (!jail.entrypoint().isEmpty()) {
      Path program = Path.of(jail.entrypoint().getFirst());
      bindProgram(b, program);
      Path parent = program.getParent();
      if (parent != null && !path.contains(parent.toString())) {
        path.add(parent.toString());
      }
    }

    Map<String, String> env = new LinkedHashMap<>();
    env.put("HOME", homeDir);
    env.put("USER", user);
    env.put("LOGNAME", user);
    env.put("SHELL", shell);
    env.put("PATH", String.join(":", path));
    env.put("ROBOJAIL", jail.name().value());
    for (String name : config.envPassthrough()) {
      String value = System.getenv(name);
      if (value != null) {
        env.put(name, value);
      }
    }

    return b.hostname(jail.name().value())
        .network(config.networkEnabled())
        .openFiles(config.maxOpenFiles())
        .processes(config.maxProcesses())
        .coreLimit(config.coreDumps() ? -1 : 0)
        .environment(env)
        .workingDirectory(jail.worktree().toString())
        .stdin(Stdio.inherit())
        .stdout(Stdio.inherit())
        .stderr(Stdio.inherit())
        .newSession(!interactive)
        .command(argv)
        .build();
  }

  private Path gitCommonDir(JailState jail) {
    try {
      return git.commonDir(jail.repo());
    } catch (GitException e) {
      return jail.repo().resolve(".git");
    }
  }

  /**
   * A file under a hidden path that has another hard link could be reached through that other name,
   * and no path check sees it. Hard links never cross filesystems, so such a file is a risk only
   * when a bound directory lives on the same filesystem; then the jail is refused, rather than
   * searched for the other name (which could be anywhere in a large bind).
   */
  private static void refuseHardLinkedSecrets(List<Path> hidden, List<Path> sources) {
    java.util.Set<Object> devices = new java.util.HashSet<>();
    for (Path s : sources) {
      try {
        devices.add(Files.getAttribute(s, "unix:dev"));
      } catch (IOException | RuntimeException e) {
        // a source that cannot be read is refused by the sandbox itself
      }
    }
    for (Path h : hidden) {
      if (!Files.exists(h, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      try (var walk = Files.walk(h)) {
        for (Path f : (Iterable<Path>) walk::iterator) {
          if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
            continue;
          }
          int links = (Integer) Files.getAttribute(f, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
          Object dev = Files.getAttribute(f, "unix:dev", LinkOption.NOFOLLOW_LINKS);
          if (links > 1 && devices.contains(dev)) {
            throw new JailException(
                "the hidden file "
                    + TerminalSafe.sanitizeLine(f.toString())
                    + " has "
                    + links
                    + " hard links, and another name for it could be inside the jail; remove the"
                    + " extra link (find "
                    + TerminalSafe.sanitizeLine(h.toString())
                    + " -links +1)");
          }
        }
      } catch (IOException | java.io.UncheckedIOException e) {
        // unreadable parts of a hidden path are unreadable inside too
      }
    }
  }

  private void maskHidden(Sandbox.Builder b, BindSpec bind, List<Path> hidden) {
    Path source = realPath(bind.source());
    for (Path h : hidden) {
      if (source.startsWith(h)) {
        throw new JailException(
            "the bind of "
                + TerminalSafe.sanitizeLine(bind.source().toString())
                + " would expose the hidden path "
                + TerminalSafe.sanitizeLine(h.toString())
                + "; remove it from extra_ro_binds/extra_rw_binds or from hidden_paths");
      }
      if (h.startsWith(source) && Files.exists(h, LinkOption.NOFOLLOW_LINKS)) {
        String target = bind.target().endsWith("/") ? bind.target() : bind.target() + "/";
        b.tmpfs(target + source.relativize(h), 4096, 0);
      }
    }
  }

  private static Path realPath(Path p) {
    try {
      return p.toRealPath();
    } catch (IOException e) {
      return p.toAbsolutePath().normalize();
    }
  }

  private static boolean isSystemPath(Path real) {
    return SYSTEM_DIRS.stream().anyMatch(d -> real.startsWith(d));
  }

  private static void bindProgram(Sandbox.Builder b, Path program) {
    Path real = realPath(program);
    if (!isSystemPath(real)) {
      b.readOnlyBind(real, program.toString());
    }
    interpreter(real)
        .map(Jails::realPath)
        .filter(i -> !isSystemPath(i))
        .ifPresent(i -> b.readOnlyBind(i, i.toString()));
  }

  // The first word after "#!", if the file is a script.
  private static Optional<Path> interpreter(Path script) {
    try (InputStream in = Files.newInputStream(script);
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      char[] buf = new char[256];
      int n = r.read(buf);
      if (n < 3 || buf[0] != '#' || buf[1] != '!') {
        return Optional.empty();
      }
      String line = new String(buf, 2, n - 2).lines().findFirst().orElse("").strip();
      String first = line.split("\\s+", 2)[0];
      return first.startsWith("/") ? Optional.of(Path.of(first)) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static String passwd(String user, int uid, int gid, String home, String shell) {
    StringBuilder s = new StringBuilder();
    if (uid != 0) {
      s.append("root:x:0:0:root:/root:/bin/sh\n");
    }
    s.append(user)
        .append(":x:")
        .append(uid)
        .append(':')
        .append(gid)
        .append(':')
        .append(user)
        .append(':')
        .append(home)
        .append(':')
        .append(shell)
        .append('\n');
    if (uid != 65534) {
      s.append("nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
    }
    return s.toString();
  }

  private static String group(String user, int gid) {
    StringBuilder s = new StringBuilder();
    if (gid != 0) {
      s.append("root:x:0:\n");
    }
    s.append(gid == 0 ? "root" : gid == 65534 ? "nogroup" : user)
        .append(":x:")
        .append(gid)
        .append(":\n");
    if (gid != 65534) {
      s.append("nogroup:x:65534:\n");
    }
    return s.toString();
  }

  /**
   * Runs a command in the jail with the caller's standard streams, and waits for it.
   *
   * @param command the command; empty for the entrypoint or the configured shell
   * @return its exit status, 128 + the signal if a signal ended it
   * @throws JailConflictException if the jail is running already
   */
  public int run(String name, List<String> command) {
    return run(name, command, false);
  }

  /**
   * Runs a command in the jail, as {@link #run(String, List)}.
   *
   * @param interactive see {@link #sandbox(JailState, List, boolean)}
   */
  public int run(String name, List<String> command, boolean interactive) {
    return run(name, command, interactive, UnaryOperator.identity());
  }

  /**
   * Runs a command in the jail, as {@link #run(String, List)}, in a sandbox adjusted by the caller.
   *
   * @param interactive see {@link #sandbox(JailState, List, boolean)}
   * @param customize changes the sandbox's builder before the sandbox is built, e.g. its standard
   *     streams
   */
  public int run(
      String name,
      List<String> command,
      boolean interactive,
      UnaryOperator<Sandbox.Builder> customize) {
    Objects.requireNonNull(customize, "customize");
    JailName jailName = JailName.of(name);
    JailState jail = get(name);
    Sandbox sandbox = customize.apply(sandbox(jail, command, interactive).toBuilder()).build();
    Supervisor me = Supervisor.current();
    store.update(
        jails -> {
          JailState current = jails.get(jailName);
          if (current == null) {
            throw new JailConflictException("no jail named " + name);
          }
          if (current.isAlive()) {
            throw new JailConflictException(
                "jail " + name + " is running (pid " + current.supervisor().pid() + ")");
          }
          jails.put(jailName, current.withSupervisor(me));
          return jails;
        });
    Path initRecord = initRecord(jailName);
    try {
      SandboxProcess process = sandbox.start();
      recordInit(initRecord, process.pid());
      // Ctrl-C or SIGTERM to this JVM: the jail's command gets SIGTERM and a moment to end.
      try (var _ = process.endWithJvm(STOP_GRACE)) {
        return process.waitFor();
      } catch (InterruptedException e) {
        process.destroy();
        Thread.currentThread().interrupt();
        throw new JailException("interrupted while jail " + name + " ran", e);
      }
    } finally {
      deleteQuietly(initRecord);
      store.update(
          jails -> {
            JailState current = jails.get(jailName);
            if (current != null && me.equals(current.supervisor())) {
              jails.put(jailName, current.withSupervisor(null));
            }
            return jails;
          });
    }
  }

  /**
   * What the jail changed against its base commit. The jail's branch is imported into the user's
   * repository first ({@link #importBranch}), so that its commits are counted.
   */
  public JailStatus status(String name) {
    JailState jail = get(name);
    return inspector.status(jail, importBranchTip(jail));
  }

  /**
   * Brings the commits of the jail's branch into the user's repository, on the branch of the same
   * name, without running anything the jail controls; see {@link JailGitDir}.
   *
   * @return whether the user's branch moved
   * @throws JailException if the jail's branch is not a well-formed, complete history
   */
  public boolean importBranch(String name) {
    return importBranch(get(name));
  }

  private boolean importBranch(JailState jail) {
    if (!hasPrivateGitDir(jail) || !Files.isDirectory(jail.gitDir(), LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    return JailGitDir.importBranch(git, jail.repo(), jail.gitDir(), jail.branch()).moved();
  }

  // Imports as importBranch, and returns the commit the user's branch is at afterwards when the
  // import found it out, so that status need not ask git again.
  private Optional<String> importBranchTip(JailState jail) {
    if (!hasPrivateGitDir(jail) || !Files.isDirectory(jail.gitDir(), LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    return JailGitDir.importBranch(git, jail.repo(), jail.gitDir(), jail.branch()).userTip();
  }

  /**
   * Imports the jail's branch and works out what merging it into the current branch of the user's
   * repository brings. Nothing is merged yet; show the plan, then call {@link #merge(MergePlan)}.
   *
   * @throws JailConflictException if the user's working tree has uncommitted changes, or HEAD is
   *     not on a branch
   */
  public MergePlan planMerge(String name) {
    JailState jail = get(name);
    importBranch(jail);
    Path repo = jail.repo();
    String into = currentBranch(repo);
    requireClean(repo);
    String head = git.revParse(repo, "HEAD");
    String tip = git.revParse(repo, "refs/heads/" + jail.branch());
    List<String> commits =
        git.run(repo, "log", "--no-color", "--no-decorate", "--format=%h %s", head + ".." + tip)
            .lines()
            .map(TerminalSafe::sanitizeLine)
            .toList();
    String stat =
        commits.isEmpty()
            ? ""
            : TerminalSafe.sanitize(
                git.run(
                    repo,
                    "diff",
                    "--no-color",
                    "--no-ext-diff",
                    "--no-textconv",
                    "--stat",
                    head + "..." + tip));
    return new MergePlan(jail.name(), repo, jail.branch(), into, head, tip, commits, stat);
  }

  /**
   * Merges what {@link #planMerge} showed into the user's current branch (a fast-forward when
   * possible), if nothing changed since.
   *
   * @return the commit the user's branch is at afterwards
   * @throws JailConflictException if the repository or the jail's branch moved since the plan, or
   *     the working tree is no longer clean
   * @throws JailException if the merge stops with conflicts: the repository is left mid-merge for
   *     the user to resolve or abort
   */
  public String merge(MergePlan plan) {
    JailState jail = get(plan.name().value());
    Path repo = jail.repo();
    if (!currentBranch(repo).equals(plan.into())
        || !git.revParse(repo, "HEAD").equals(plan.head())
        || !git.revParse(repo, "refs/heads/" + jail.branch()).equals(plan.tip())) {
      throw new JailConflictException(
          "the repository or the jail's branch changed since the merge was shown; run merge again");
    }
    requireClean(repo);
    if (plan.isEmpty()) {
      return plan.head();
    }
    Map<String, String> identity = new LinkedHashMap<>(git.identity(repo, home));
    identity.putIfAbsent("name", "robojail");
    identity.putIfAbsent("email", "robojail@localhost");
    Git.Result r =
        git.command(repo)
            .args(
                "-c",
                "user.name=" + identity.get("name"),
                "-c",
                "user.email=" + identity.get("email"),
                "merge",
                "--no-edit",
                "--no-stat",
                "-m",
                "Merge jail " + plan.name() + " (" + plan.branch() + ")",
                plan.tip())
            .allowFailure()
            .run();
    if (r.exitCode() != 0) {
      if (!git.run(repo, "ls-files", "--unmerged").isEmpty()) {
        throw new JailException(
            "the merge stopped with conflicts in "
                + TerminalSafe.sanitizeLine(repo.toString())
                + "; resolve them and commit, or run: git merge --abort");
      }
      throw new GitException(List.of("merge", plan.tip()), r.exitCode(), r.stderr());
    }
    return git.revParse(repo, "HEAD");
  }

  private String currentBranch(Path repo) {
    Git.Result r =
        git.command(repo).args("symbolic-ref", "-q", "--short", "HEAD").allowFailure().run();
    if (r.exitCode() != 0 || r.line().isEmpty()) {
      throw new JailConflictException(
          "the repository "
              + TerminalSafe.sanitizeLine(repo.toString())
              + " is not on a branch; check out the branch to merge into");
    }
    return r.line();
  }

  private void requireClean(Path repo) {
    String dirty =
        git.run(repo, "status", "--porcelain", "--untracked-files=no", "--ignore-submodules=all");
    if (!dirty.isEmpty()) {
      throw new JailConflictException(
          "the repository "
              + TerminalSafe.sanitizeLine(repo.toString())
              + " has uncommitted changes; commit or stash them before merging");
    }
  }

  /** The jail's changes as a terminal-safe patch. */
  public String diff(String name) {
    return inspector.diff(get(name));
  }

  /**
   * Removes a jail: its worktree, its state entry, and its branch unless that holds commits found
   * on no other branch.
   *
   * @param force discard uncommitted changes
   * @return a note for the user when the branch was kept
   * @throws JailConflictException if the jail is running, or has uncommitted changes and {@code
   *     force} is not set
   */
  public Optional<String> destroy(String name, boolean force) {
    JailState jail = get(name);
    if (jail.isAlive()) {
      if (!force) {
        throw new JailConflictException(
            "jail "
                + name
                + " is running (pid "
                + jail.supervisor().pid()
                + "); end it, or use --force to end every process of the jail");
      }
      endJail(jail);
    }
    JailStatus status = null;
    if (Files.isDirectory(jail.worktree(), LinkOption.NOFOLLOW_LINKS)) {
      try {
        // The jail's commits first, so that destroying it never loses them.
        status = inspector.status(jail, importBranchTip(jail));
      } catch (JailException e) {
        if (!force) {
          throw new JailException(
              "cannot inspect jail " + name + " (" + e.getMessage() + "); use --force", e);
        }
      }
    }
    if (status != null && status.uncommittedChanges() && !force) {
      throw new JailConflictException(
          "jail " + name + " has uncommitted changes; use --force to discard them");
    }
    if (!Files.isDirectory(jail.worktree(), LinkOption.NOFOLLOW_LINKS)) {
      try {
        importBranch(jail);
      } catch (JailException e) {
        if (!force) {
          throw new JailException(
              "cannot import the branch of jail " + name + " (" + e.getMessage() + "); use --force",
              e);
        }
      }
    }
    removeJailDirs(jail);
    store.remove(jail.name());

    Path repo = jail.repo();
    if (!git.branchExists(repo, jail.branch())) {
      return Optional.empty();
    }
    int commits = status == null ? -1 : status.commitsSinceBase();
    if (commits == 0 || git.isBranchMergedElsewhere(repo, jail.branch())) {
      git.deleteBranch(repo, jail.branch(), true);
      return Optional.empty();
    }
    int kept = commits > 0 ? commits : git.unmergedCommitCount(repo, jail.branch());
    return Optional.of(
        TerminalSafe.sanitizeLine(
            "kept branch "
                + jail.branch()
                + " with "
                + kept
                + (kept == 1 ? " commit" : " commits")
                + "; delete it with: git -C "
                + repo
                + " branch -D "
                + jail.branch()));
  }

  private void removeJailDirs(JailState jail) {
    try {
      Files.deleteIfExists(checkoutIndex(jail.name()));
    } catch (IOException e) {
      throw new JailException(
          "cannot delete "
              + TerminalSafe.sanitizeLine(checkoutIndex(jail.name()).toString())
              + ": "
              + e,
          e);
    }
    if (!hasPrivateGitDir(jail)) {
      removeWorktree(jail.repo(), jail.worktree());
      return;
    }
    deleteJailDir(jail.worktree(), dirs.jailsDir());
    deleteJailDir(jail.gitDir(), privateGitDir(jail.name()).getParent());
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
          "cannot delete " + TerminalSafe.sanitizeLine(dir.toString()) + ": " + e, e);
    }
  }

  private void removeWorktree(Path repo, Path worktree) {
    try {
      git.worktreeRemove(repo, worktree, true);
      return;
    } catch (GitException e) {
      // Fall back to removing it by hand, below.
    }
    deleteJailDir(worktree, dirs.jailsDir());
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

  private static void delete(Path p) throws IOException {
    try {
      Files.delete(p);
    } catch (NoSuchFileException e) {
      // gone already
    }
  }

  // The host pid of a running jail's PID 1, with its start time and boot id, so that destroy
  // --force can end exactly that process (and with it the jail's PID namespace), never a
  // process that reused the pid. The supervisor (an IDE, say) is never touched.
  private Path initRecord(JailName name) {
    return dirs.stateFile().resolveSibling("running").resolve(name.value());
  }

  private static void recordInit(Path record, long pid) {
    Supervisor.of(pid)
        .ifPresent(
            init -> {
              try {
                Files.createDirectories(record.getParent());
                Files.writeString(
                    record, init.pid() + " " + init.startTime() + " " + init.bootId() + "\n");
              } catch (IOException e) {
                // without the record, destroy --force refuses instead of killing: safe
              }
            });
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      // a stale record is harmless: its start time no longer matches any process
    }
  }

  private static void pause(JailState jail) {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new JailException("interrupted while ending jail " + jail.name().value(), e);
    }
  }

  /** Ends every process of a running jail by killing its PID 1, then waits for its supervisor. */
  private void endJail(JailState jail) {
    Path record = initRecord(jail.name());
    Supervisor init = null;
    // The supervisor marks the jail running just before it starts it, and records its PID 1
    // just after: give a jail that is starting a moment.
    long found = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
    while (init == null) {
      try {
        String[] f = Files.readString(record).strip().split(" ");
        init = new Supervisor(Long.parseLong(f[0]), Long.parseLong(f[1]), f[2]);
      } catch (IOException | RuntimeException e) {
        if (System.nanoTime() > found || !jail.supervisor().isAlive()) {
          throw new JailConflictException(
              "jail "
                  + jail.name().value()
                  + " is running and its processes cannot be found;"
                  + " end it where it runs (pid "
                  + jail.supervisor().pid()
                  + ")");
        }
        pause(jail);
      }
    }
    // Open a pidfd first, then check that it is still the same process: from then on the
    // signal cannot reach another process, whatever happens to the pid.
    try {
      int pidfd = dev.robojail.ffm.Syscalls.pidfdOpen((int) init.pid(), 0);
      try {
        if (init.isAlive()) {
          dev.robojail.ffm.Syscalls.pidfdSendSignal(pidfd, dev.robojail.ffm.Syscalls.SIGKILL);
        }
      } finally {
        dev.robojail.ffm.Syscalls.close(pidfd);
      }
    } catch (dev.robojail.ffm.SyscallException e) {
      // ESRCH: the jail ended meanwhile
    }
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    // The supervisor notices the end and clears its mark; an embedding JVM lives on, so a live
    // supervisor without a mark is fine.
    while (System.nanoTime() < deadline
        && (init.isAlive() || get(jail.name().value()).supervisor() != null)) {
      pause(jail);
    }
    if (init.isAlive()) {
      throw new JailException("jail " + jail.name().value() + " did not end");
    }
  }
}
