package dev.robojail.jail;

import dev.robojail.ffm.Syscalls;
import dev.robojail.net.Allowlist;
import dev.robojail.net.EgressPolicy;
import dev.robojail.net.HostPorts;
import dev.robojail.net.ProxyEnvironment;
import dev.robojail.sandbox.HostAhead;
import dev.robojail.sandbox.Network;
import dev.robojail.sandbox.Sandbox;
import dev.robojail.sandbox.Stdio;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything that decides what a jail sees, turned into its {@link Sandbox}: the system, the home
 * directory, the configured binds with hidden paths kept out, the repository, the entrypoint and
 * its interpreter, the environment, the network and the limits. Each is one step of {@link
 * #sandbox}, so that what a jail gets from elsewhere (an agent's login files and caches, its
 * allowed hosts) has one obvious step to join.
 */
final class JailProfile {
  private static final java.util.Set<String> OPTION_LISTS = java.util.Set.of("MAVEN_ARGS");

  private final Config config;
  private final Path home;
  private final Git git;
  private final JailLayout layout;
  private final Map<String, String> hostEnv;
  private final AgentProfiles agents;
  private final AgentHome agentHome;

  /** With {@code hostEnv} as the environment robojail runs in (its PATH, the toolchains' own). */
  JailProfile(
      Config config,
      Path home,
      Git git,
      JailLayout layout,
      AgentProfiles agents,
      Map<String, String> hostEnv) {
    this.config = config;
    this.home = home;
    this.git = git;
    this.layout = layout;
    this.hostEnv = Map.copyOf(hostEnv);
    this.agents = agents;
    this.agentHome = new AgentHome(layout, home);
  }

  /** See {@link Jails#entrypointWith(String, List)}. */
  List<String> entrypointWith(JailState jail, List<String> args) {
    List<String> argv =
        new ArrayList<>(
            jail.entrypoint().isEmpty() ? List.of(config.defaultShell()) : jail.entrypoint());
    argv.addAll(args);
    return List.copyOf(argv);
  }

  /** The jail's agent profile; empty for a jail made without one. */
  Optional<AgentProfile> agent(JailState jail) {
    return jail.agent().isEmpty() ? Optional.empty() : Optional.of(agents.require(jail.agent()));
  }

  /**
   * After a run: a credential the agent refreshed inside flows back to the host ({@link
   * AgentHome#sync}); returns which.
   */
  List<String> afterRun(JailState jail) {
    return agent(jail).map(a -> agentHome.sync(jail, a)).orElse(List.of());
  }

  /** The user the jail's processes run as, named as outside. */
  private record User(String name, int uid, int gid, String home, String shell) {}

  /** See {@link Jails#sandbox(JailState, List, boolean)}. */
  Sandbox sandbox(JailState jail, List<String> command, boolean interactive) {
    return prepare(jail, command, interactive, false).sandbox();
  }

  /**
   * A jail's sandbox, and the lines its start says about the caches of {@code seed_caches} that
   * cannot be seeded (from the same plan as its mounts).
   */
  record Prepared(Sandbox sandbox, List<String> cacheFallbacks) {}

  /**
   * See {@link #sandbox}; {@code joining} when the sandbox is only to {@link Sandbox#join join} the
   * running jail, whose /etc its session sees (so none is made: {@link
   * Sandbox.Builder#minimalSystemToJoin()}).
   */
  Prepared prepare(JailState jail, List<String> command, boolean interactive, boolean joining) {
    User user =
        new User(
            System.getProperty("user.name", "user"),
            Syscalls.getuid(),
            Syscalls.getgid(),
            home.toString(),
            config.defaultShell());

    List<String> argv = command.isEmpty() ? entrypointWith(jail, List.of()) : command;

    Optional<AgentProfile> agent = agent(jail);
    Sandbox.Builder b = Sandbox.builder();
    system(b, user, joining);
    // The default allowlist, parsed by its class's initialiser (~1.5 ms interpreted), which the
    // network step below needs whatever the mode, and the patterns and table of the repository's
    // and the caches' steps (~0.3 ms): made here, where the thread would otherwise only wait for
    // the walk ahead, rather than on the way from the walk to the clone.
    Object[] unused = {Allowlist.DEFAULT, JailGitDir.LOOSE_DIR, HostCaches.KINDS};
    // Before the first step that changes something outside the spec (the jail's home, the agent's
    // login copied into it, the object view): a host's /etc that cannot be walked fails the run
    // with nothing done, as when the walk was made in system().
    HostAhead.awaitCovers(b);
    Path jailHome = home(b, jail, user);
    agent.ifPresent(
        a -> AgentHome.refuseOwnSandbox(a, argv, jail.worktree(), jailHome, user.home()));
    HiddenPaths hidden = HiddenPaths.of(config, home, alwaysHidden(jail));
    List<Path> sources = new ArrayList<>(List.of(jail.worktree(), jailHome));
    // The repository after the binds: a bind of a parent directory (the home, ~/.local) must not
    // cover the jail's own worktree and git directory.
    binds(b, hidden, sources);
    HomeToolchains.Found tools = toolchains(b, jail, hidden, sources);
    List<String> cacheFallbacks = caches(b, jail, jailHome, user, hidden, sources);
    agent.ifPresent(a -> agentLogin(b, jail, a));
    repository(b, jail);
    List<String> path = entrypoint(b, jail, tools, hidden, sources);
    hidden.refuseHardLinks(sources);
    b.hostname(jail.name().value());
    Map<String, String> networkEnv = network(b, jail, agent);
    limits(b);
    Map<String, String> env = environment(jail, user, path);
    tools.env().forEach(env::putIfAbsent);
    if (interactive) {
      prompt(env, jail);
    }
    agent.ifPresent(a -> agentEnvironment(env, a));
    // Options the user passes in are kept, after the proxy's (so that theirs win).
    networkEnv.forEach(
        (k, v) ->
            env.merge(
                k, v, (mine, proxy) -> OPTION_LISTS.contains(k) ? proxy + " " + mine : proxy));
    Sandbox sandbox =
        b.environment(env)
            .workingDirectory(jail.worktree().toString())
            .stdin(Stdio.inherit())
            .stdout(Stdio.inherit())
            .stderr(Stdio.inherit())
            // Always a session of its own, never the caller's: from the caller's session /dev/tty
            // would open the user's terminal (`robojail enter J | cat`).
            .newSession(true)
            .command(argv)
            .build();
    // A joining session mounts nothing: the running jail's mount points are in use.
    if (!jail.isAlive()) {
      AgentHome.prepareMountPoints(jailHome, user.home(), sandbox);
    }
    return new Prepared(sandbox, cacheFallbacks);
  }

  // The jail's own home at $HOME, read-write, kept across runs: what the jail's programs keep
  // there (an agent's state, history, caches) is there next time, and in no other jail.
  private Path home(Sandbox.Builder b, JailState jail, User user) {
    Path jailHome = agentHome.ensure(jail.name());
    b.bind(jailHome, user.home());
    return jailHome;
  }

  // The caches of seed_caches: each an overlay over the jail's own cache in its home, with the
  // host's
  // as the read-only layer below; after the binds, so that no bind covers one. Returns the lines
  // that say which cannot be seeded.
  private List<String> caches(
      Sandbox.Builder b,
      JailState jail,
      Path jailHome,
      User user,
      HiddenPaths hidden,
      List<Path> sources) {
    HostCaches.Plan plan = caches(jail, jailHome, user.home(), hidden);
    HostCaches.mount(b, plan.seeds());
    plan.seeds().forEach(s -> sources.add(s.host()));
    return plan.fallbacks();
  }

  private HostCaches.Plan caches(
      JailState jail, Path jailHome, String homeInside, HiddenPaths hidden) {
    return HostCaches.plan(
        config.seedCaches(),
        home,
        jailHome,
        homeInside,
        layout.cacheWork(jail.name()),
        hidden,
        // Read only when a cache is to be seeded: a sysctl read cost each run ~1 ms of CPU.
        config.seedCaches().isEmpty() ? Optional.empty() : HostCaches.kernelRelease());
  }

  /** See {@link Jails#caches()}. */
  List<String> caches() {
    return HostCaches.describe(
        config.seedCaches(), home, HiddenPaths.of(config, home, robojailDirs()));
  }

  // The agent's login, account and settings are files robojail writes into the jail's home (its
  // own copies: nothing the jail changes there reaches the host, but a refreshed credential,
  // checked); its own sandbox is off (AgentProfile.OWN_SANDBOX_OFF).
  private void agentLogin(Sandbox.Builder b, JailState jail, AgentProfile agent) {
    // A session joining a running jail must not put the host's login over a token the agent
    // refreshed meanwhile: the first session's end writes that back.
    if (!jail.isAlive()) {
      agentHome.prepare(jail, agent);
    }
  }

  private static void agentEnvironment(Map<String, String> env, AgentProfile agent) {
    env.putAll(agent.environment());
    env.putAll(AgentHome.loginVariables(agent, System.getenv()));
  }

  // The host's /etc, read-only and without its secrets, with robojail's own files over it. This
  // is the one list of those files: whatever else a jail needs in /etc (its network's hosts and
  // resolv.conf, proxy settings) joins it here. Until then hosts and resolv.conf are the host's.
  // A session that joins the running jail sees the /etc its first session mounted: the walk of
  // the host's that finds what to cover (~10 ms of CPU, ~30 interpreted) would be for nothing.
  private static void system(Sandbox.Builder b, User user, boolean joining) {
    (joining ? b.minimalSystemToJoin() : b.minimalSystem())
        .etcFile("passwd", passwd(user), 0644)
        .etcFile("group", group(user.name(), user.gid()), 0644);
  }

  // The worktree, and git's files: the private git directory with the user's objects read-only
  // (reached through objects/info/alternates), or for a jail made before private git directories
  // the user's whole git directory read-only.
  //
  // What a git on the host would obey if the user or an IDE ran it in the worktree is read-only
  // inside: the worktree's .git pointer, and the private git directory's configuration, hooks,
  // info and commondir (JailGitDir#protect). Everything else git writes stays writable, so commits,
  // branches and checkouts work.
  private void repository(Sandbox.Builder b, JailState jail) {
    b.bind(jail.worktree(), jail.worktree().toString());
    Path commonDir = gitCommonDir(jail);
    if (layout.hasPrivateGitDir(jail)) {
      Path pointer = jail.worktree().resolve(".git");
      if (Files.isRegularFile(pointer, LinkOption.NOFOLLOW_LINKS)) {
        b.readOnlyBind(pointer, pointer.toString());
      }
      b.bind(jail.gitDir(), jail.gitDir().toString());
      for (Path p : JailGitDir.protect(jail.gitDir())) {
        b.readOnlyBind(p, p.toString());
      }
      // Not the user's objects directory itself: a view without other jails' imported work.
      Path objects = commonDir.resolve("objects");
      Path view = layout.objectView(jail.name());
      ObjectView.refresh(git, jail.repo(), commonDir, jail.branch(), view);
      b.readOnlyBind(view, objects.toString());
    } else {
      b.readOnlyBind(commonDir, commonDir.toString());
    }
  }

  private Path gitCommonDir(JailState jail) {
    try {
      return git.commonDir(jail.repo());
    } catch (GitException e) {
      return jail.repo().resolve(".git");
    }
  }

  /**
   * Starts a sandbox with the configured binds, as every jail gets them, and runs {@code true} in
   * it: a bind that fails every run (a setup step the kernel refuses) fails here too.
   *
   * @return the problem, one line; empty when the binds work
   */
  Optional<String> checkBinds() {
    if (config.extraRoBinds().isEmpty() && config.extraRwBinds().isEmpty()) {
      return Optional.empty();
    }
    try {
      Sandbox.Builder b = Sandbox.builder().minimalSystem().tmpfs(home.toString(), 1 << 20, 0700);
      Dirs dirs = layout.dirs();
      HiddenPaths hidden =
          HiddenPaths.of(
              config,
              home,
              List.of(dirs.configFile().getParent(), dirs.stateFile().getParent(), dirs.dataDir()));
      List<Path> sources = new ArrayList<>();
      binds(b, hidden, sources);
      hidden.refuseHardLinks(sources);
      int status =
          b.command("/bin/true")
              .stdin(Stdio.discard())
              .stdout(Stdio.discard())
              .stderr(Stdio.discard())
              .build()
              .start()
              .waitFor();
      return status == 0
          ? Optional.empty()
          : Optional.of("a sandbox with the configured binds exits " + status);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of("interrupted");
    } catch (RuntimeException e) {
      return Optional.of(TerminalSafe.sanitizeLine(String.valueOf(e.getMessage())));
    }
  }

  private void binds(Sandbox.Builder b, HiddenPaths hidden, List<Path> sources) {
    for (BindSpec bind : config.extraRoBinds()) {
      b.readOnlyBind(bind.source(), bind.target());
      hidden.mask(b, bind);
    }
    for (BindSpec bind : config.extraRwBinds()) {
      b.bind(bind.source(), bind.target());
      hidden.mask(b, bind);
    }
    config.extraRoBinds().forEach(bind -> sources.add(bind.source()));
    config.extraRwBinds().forEach(bind -> sources.add(bind.source()));
  }

  /** See {@link Jails#toolchains()}. */
  HomeToolchains.Found toolchains() {
    return toolchains(HiddenPaths.of(config, home, robojailDirs()));
  }

  private HomeToolchains.Found toolchains(HiddenPaths hidden) {
    return HomeToolchains.detect(
        home, hostEnv, java.util.Set.copyOf(config.toolchains()), config.path(), hidden);
  }

  // The toolchains of the home, read-only at their real paths, with hidden paths inside masked;
  // their own step, apart from the binds the configuration or an agent asks for.
  private HomeToolchains.Found toolchains(
      Sandbox.Builder b, JailState jail, HiddenPaths hidden, List<Path> sources) {
    HomeToolchains.Found found = toolchains(hidden);
    for (BindSpec bind : found.binds()) {
      b.readOnlyBind(bind.source(), bind.target());
      hidden.mask(b, bind);
      sources.add(bind.source());
    }
    return found;
  }

  // Whatever the configuration says: robojail's own configuration, state and data (every jail's
  // worktree and git directory), and the user's git directory (other jails' branches, hooks,
  // config); the jail's own files are mounted on top afterwards.
  private List<Path> alwaysHidden(JailState jail) {
    List<Path> always = new ArrayList<>(robojailDirs());
    always.add(gitCommonDir(jail));
    return always;
  }

  private List<Path> robojailDirs() {
    Dirs dirs = layout.dirs();
    return List.of(dirs.configFile().getParent(), dirs.stateFile().getParent(), dirs.dataDir());
  }

  // Makes the entrypoint work as installed: the npm package or virtual environment it is part of
  // visible whole (read-only, at its real path), the link the user runs it by in place, and its
  // interpreter found; returns the PATH: the toolchains', the system's, then the entrypoint's.
  private List<String> entrypoint(
      Sandbox.Builder b,
      JailState jail,
      HomeToolchains.Found tools,
      HiddenPaths hidden,
      List<Path> sources) {
    List<String> path = new ArrayList<>(tools.path());
    for (String d : Sandbox.DEFAULT_PATH.split(":")) {
      if (!path.contains(d)) {
        path.add(d);
      }
    }
    if (jail.entrypoint().isEmpty()) {
      return path;
    }
    List<Path> visible = new ArrayList<>(tools.binds().stream().map(BindSpec::source).toList());
    Path program = Path.of(jail.entrypoint().getFirst());
    Path real = HiddenPaths.realPath(program);
    hidden
        .hiding(real)
        .ifPresent(
            h -> {
              throw new JailException(
                  "the entrypoint "
                      + TerminalSafe.sanitizeLine(program.toString())
                      + " is inside the hidden path "
                      + TerminalSafe.sanitizeLine(h.toString())
                      + "; choose another entrypoint, or remove it from hidden_paths");
            });
    makeVisible(b, real, visible, hidden, sources);
    // The link the user runs it by is inside only if its directory is, as spelled: binds are made
    // at real paths. Node finds the package from the link's target, so a bind of the file would
    // not do.
    Path parent = program.getParent();
    if (!real.equals(program) && parent != null && !inPlace(parent, visible)) {
      b.symlink(real.toString(), program.toString());
    }
    if (parent != null && !path.contains(parent.toString())) {
      path.add(parent.toString());
    }
    interpreter(real)
        .ifPresent(
            i -> {
              Optional<Path> found =
                  i.startsWith("/")
                      ? Optional.of(Path.of(i))
                      : Executables.onPath(i, String.join(":", path))
                          .filter(p -> isVisible(HiddenPaths.realPath(p), visible))
                          .or(() -> Executables.onPath(i, hostEnv.get("PATH")));
              found.ifPresent(
                  f -> {
                    Path r = HiddenPaths.realPath(f);
                    if (hidden.hiding(r).isEmpty() && !isVisible(r, visible)) {
                      b.readOnlyBind(r, r.toString());
                      visible.add(r);
                    }
                    String dir = r.getParent().toString();
                    if (!i.startsWith("/") && !path.contains(dir)) {
                      path.add(dir);
                    }
                  });
            });
    return path;
  }

  // The package the program belongs to, or else the program alone.
  private void makeVisible(
      Sandbox.Builder b, Path real, List<Path> visible, HiddenPaths hidden, List<Path> sources) {
    if (isVisible(real, visible)) {
      return;
    }
    Path realHome = HiddenPaths.realPath(home);
    Optional<Path> root =
        Executables.packageRoot(real)
            .filter(r -> hidden.hiding(r).isEmpty() && !realHome.startsWith(r));
    if (root.isPresent()) {
      BindSpec bind = BindSpec.same(root.get());
      b.readOnlyBind(bind.source(), bind.target());
      hidden.mask(b, bind);
      sources.add(bind.source());
      visible.add(root.get());
    } else {
      b.readOnlyBind(real, real.toString());
      visible.add(real);
    }
  }

  // Whether a directory, as spelled, is inside the jail without a link of robojail's: visible at
  // its real path, or reached through one of the host's top-level links, which the jail has too
  // (/bin -> usr/bin: a link made for /bin/sh would find one there already).
  private static boolean inPlace(Path dir, List<Path> visible) {
    if (HiddenPaths.realPath(dir).equals(dir)) {
      return isVisible(dir, visible);
    }
    if (!dir.isAbsolute() || dir.getNameCount() == 0) {
      return false;
    }
    Path top = dir.getRoot().resolve(dir.getName(0));
    if (!Sandbox.SYSTEM_TOP_DIRS.contains(top.toString()) || !Files.isSymbolicLink(top)) {
      return false;
    }
    try {
      Path through =
          top.resolveSibling(Files.readSymbolicLink(top)).normalize().resolve(top.relativize(dir));
      return HiddenPaths.realPath(through).equals(through) && isVisible(through, visible);
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean isVisible(Path real, List<Path> visible) {
    return HomeToolchains.isSystem(real) || visible.stream().anyMatch(real::startsWith);
  }

  private Map<String, String> environment(JailState jail, User user, List<String> path) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("HOME", user.home());
    env.put("USER", user.name());
    env.put("LOGNAME", user.name());
    env.put("SHELL", user.shell());
    env.put("PATH", String.join(":", path));
    env.put("ROBOJAIL", jail.name().value());
    for (String name : config.envPassthrough()) {
      String value = System.getenv(name);
      if (value != null) {
        env.put(name, value);
      }
    }
    return env;
  }

  // A shell on the jail's terminal says where it is. PS1 from the environment is what sh and dash
  // show, and what bash shows unless an rc file sets its own: a profile's prompt is the user's
  // choice and wins, and the usual ones show the jail anyway, through the hostname (the jail's
  // name) and Debian's and Ubuntu's debian_chroot. A name is letters, digits and .-_ only, so it
  // cannot carry prompt escapes.
  private static void prompt(Map<String, String> env, JailState jail) {
    env.putIfAbsent("PS1", "(robojail " + jail.name().value() + ") $ ");
    env.putIfAbsent("debian_chroot", "robojail");
  }

  /** See {@link Jails#network(JailState)}. */
  JailNetwork.Effective network(JailState jail) {
    return jail.network().effective(config, agent(jail), layout.dirs().configFile().toString());
  }

  // Returns what the environment needs for this network: in proxy mode, every common client
  // pointed at the proxy inside, and Maven's settings (which its resolver needs) and java's
  // system properties in files.
  //
  // The mode is the jail's own (create --network), else its agent profile's, else the
  // configuration's; allowlist entries and host ports of all three add up (JailNetwork#effective).
  // The host ports' name is in /etc/hosts in every mode: with the host's network it stands for the
  // host's own loopback, which that mode reaches anyway.
  private Map<String, String> network(
      Sandbox.Builder b, JailState jail, Optional<AgentProfile> agent) {
    JailNetwork.Effective net =
        jail.network().effective(config, agent, layout.dirs().configFile().toString());
    HostPorts ports = HostPorts.of(net.hostPorts(), layout.networkLog(jail.name()));
    if (!ports.isEmpty()) {
      hostsFile(b, net.mode() == Config.NetworkMode.HOST);
    }
    switch (net.mode()) {
      case HOST -> b.network(Network.host());
      case NONE -> b.network(Network.loopback(ports));
      case PROXY -> {
        EgressPolicy policy =
            EgressPolicy.of(net.allowlist())
                .withLog(layout.networkLog(jail.name()))
                .withConfigHint(layout.dirs().configFile().toString());
        b.network(Network.proxy(policy, ports));
        ProxyEnvironment.files().forEach((path, text) -> b.file(path, text, 0644));
        return ProxyEnvironment.variables();
      }
    }
    return Map.of();
  }

  // The host's hosts file with the host ports' name added; a host without one gets a fresh one.
  private static void hostsFile(Sandbox.Builder b, boolean hostNetwork) {
    String hosts;
    try {
      hosts = Files.readString(Path.of("/etc/hosts"), StandardCharsets.UTF_8);
    } catch (IOException e) {
      hosts = "127.0.0.1\tlocalhost\n::1\tlocalhost\n";
    }
    if (!hosts.isEmpty() && !hosts.endsWith("\n")) {
      hosts += "\n";
    }
    String line = hostNetwork ? "127.0.0.1\t" + HostPorts.NAME + "\n" : HostPorts.hostsLine();
    b.etcFile("hosts", hosts + line, 0644);
  }

  private void limits(Sandbox.Builder b) {
    b.openFiles(config.maxOpenFiles())
        .processes(config.maxProcesses())
        .memory(config.maxMemory())
        .tmpfsSize(config.tmpSize())
        .coreLimit(config.coreDumps() ? -1 : 0);
  }

  // What runs a script: the path after "#!", or the program /usr/bin/env is asked for (a name,
  // found on PATH as env would).
  static Optional<String> interpreter(Path script) {
    try (InputStream in = Files.newInputStream(script);
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      char[] buf = new char[256];
      int n = r.read(buf);
      if (n < 3 || buf[0] != '#' || buf[1] != '!') {
        return Optional.empty();
      }
      String line = new String(buf, 2, n - 2).lines().findFirst().orElse("").strip();
      String[] words = line.split("\\s+");
      if (!words[0].startsWith("/")) {
        return Optional.empty();
      }
      if (!words[0].endsWith("/env")) {
        return Optional.of(words[0]);
      }
      for (int i = 1; i < words.length; i++) {
        String w = words[i];
        if (!w.startsWith("-") && !w.contains("=") && !w.isEmpty()) {
          return Optional.of(w);
        }
      }
      return Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static String passwd(User user) {
    StringBuilder s = new StringBuilder();
    if (user.uid() != 0) {
      s.append("root:x:0:0:root:/root:/bin/sh\n");
    }
    s.append(user.name())
        .append(":x:")
        .append(user.uid())
        .append(':')
        .append(user.gid())
        .append(':')
        .append(user.name())
        .append(':')
        .append(user.home())
        .append(':')
        .append(user.shell())
        .append('\n');
    if (user.uid() != 65534) {
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
}
