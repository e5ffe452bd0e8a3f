package dev.robojail.jail;

import dev.robojail.ffm.Syscalls;
import dev.robojail.net.EgressPolicy;
import dev.robojail.net.HostPorts;
import dev.robojail.net.ProxyEnvironment;
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
  private static final List<String> SYSTEM_DIRS =
      List.of("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32");

  private static final java.util.Set<String> OPTION_LISTS = java.util.Set.of("MAVEN_ARGS");

  private final Config config;
  private final Path home;
  private final Git git;
  private final JailLayout layout;

  JailProfile(Config config, Path home, Git git, JailLayout layout) {
    this.config = config;
    this.home = home;
    this.git = git;
    this.layout = layout;
  }

  /** The user the jail's processes run as, named as outside. */
  private record User(String name, int uid, int gid, String home, String shell) {}

  /** See {@link Jails#sandbox(JailState, List, boolean)}. */
  Sandbox sandbox(JailState jail, List<String> command, boolean interactive) {
    User user =
        new User(
            System.getProperty("user.name", "user"),
            Syscalls.getuid(),
            Syscalls.getgid(),
            home.toString(),
            config.defaultShell());

    List<String> argv = new ArrayList<>(command);
    if (argv.isEmpty()) {
      argv.addAll(jail.entrypoint().isEmpty() ? List.of(user.shell()) : jail.entrypoint());
    }

    Sandbox.Builder b = Sandbox.builder();
    system(b, user);
    b.tmpfs(user.home(), config.homeSize(), 0700);
    // The repository after the binds: a bind of a parent directory (the home, ~/.local) must not
    // cover the jail's own worktree and git directory.
    binds(b, jail);
    repository(b, jail);
    List<String> path = entrypoint(b, jail);
    b.hostname(jail.name().value());
    Map<String, String> networkEnv = network(b, jail);
    limits(b);
    Map<String, String> env = environment(jail, user, path);
    // Options the user passes in are kept, after the proxy's (so that theirs win).
    networkEnv.forEach(
        (k, v) ->
            env.merge(
                k, v, (mine, proxy) -> OPTION_LISTS.contains(k) ? proxy + " " + mine : proxy));
    return b.environment(env)
        .workingDirectory(jail.worktree().toString())
        .stdin(Stdio.inherit())
        .stdout(Stdio.inherit())
        .stderr(Stdio.inherit())
        // Always a session of its own, never the caller's: from the caller's session /dev/tty
        // would open the user's terminal (`robojail enter J | cat`).
        .newSession(true)
        .command(argv)
        .build();
  }

  // The host's /etc, read-only and without its secrets, with robojail's own files over it. This
  // is the one list of those files: whatever else a jail needs in /etc (its network's hosts and
  // resolv.conf, proxy settings) joins it here. Until then hosts and resolv.conf are the host's.
  private static void system(Sandbox.Builder b, User user) {
    b.minimalSystem()
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

  private void binds(Sandbox.Builder b, JailState jail) {
    HiddenPaths hidden = HiddenPaths.of(config, home, alwaysHidden(jail));
    for (BindSpec bind : config.extraRoBinds()) {
      b.readOnlyBind(bind.source(), bind.target());
      hidden.mask(b, bind);
    }
    for (BindSpec bind : config.extraRwBinds()) {
      b.bind(bind.source(), bind.target());
      hidden.mask(b, bind);
    }
    List<Path> sources = new ArrayList<>(List.of(jail.worktree()));
    config.extraRoBinds().forEach(bind -> sources.add(bind.source()));
    config.extraRwBinds().forEach(bind -> sources.add(bind.source()));
    hidden.refuseHardLinks(sources);
  }

  // Whatever the configuration says: robojail's own configuration, state and data (every jail's
  // worktree and git directory), and the user's git directory (other jails' branches, hooks,
  // config); the jail's own files are mounted on top afterwards.
  private List<Path> alwaysHidden(JailState jail) {
    Dirs dirs = layout.dirs();
    return List.of(
        dirs.configFile().getParent(),
        dirs.stateFile().getParent(),
        dirs.dataDir(),
        gitCommonDir(jail));
  }

  // Binds the entrypoint and its interpreter where the system dirs do not have them, and returns
  // the PATH that finds them.
  private static List<String> entrypoint(Sandbox.Builder b, JailState jail) {
    List<String> path = new ArrayList<>(List.of(Sandbox.DEFAULT_PATH));
    if (!jail.entrypoint().isEmpty()) {
      Path program = Path.of(jail.entrypoint().getFirst());
      bindProgram(b, program);
      Path parent = program.getParent();
      if (parent != null && !path.contains(parent.toString())) {
        path.add(parent.toString());
      }
    }
    return path;
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

  // Returns what the environment needs for this network: in proxy mode, every common client
  // pointed at the proxy inside, and Maven's settings (which its resolver needs) in a file.
  //
  // The jail's own settings (create --network…) win over the configuration's mode and add to its
  // allowlist and host ports. The host ports' name is in /etc/hosts in every mode: with the host's
  // network it stands for the host's own loopback, which that mode reaches anyway.
  private Map<String, String> network(Sandbox.Builder b, JailState jail) {
    JailNetwork own = jail.network();
    HostPorts ports = HostPorts.of(own.effectiveHostPorts(config), layout.networkLog(jail.name()));
    if (!ports.isEmpty()) {
      hostsFile(b, own.effectiveMode(config) == Config.NetworkMode.HOST);
    }
    switch (own.effectiveMode(config)) {
      case HOST -> b.network(Network.host());
      case NONE -> b.network(Network.loopback(ports));
      case PROXY -> {
        EgressPolicy policy =
            EgressPolicy.of(own.effectiveAllowlist(config))
                .withLog(layout.networkLog(jail.name()))
                .withConfigHint(layout.dirs().configFile().toString());
        b.network(Network.proxy(policy, ports));
        b.file(ProxyEnvironment.MAVEN_SETTINGS, ProxyEnvironment.mavenSettingsText(), 0644);
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

  private static boolean isSystemPath(Path real) {
    return SYSTEM_DIRS.stream().anyMatch(d -> real.startsWith(d));
  }

  private static void bindProgram(Sandbox.Builder b, Path program) {
    Path real = HiddenPaths.realPath(program);
    if (!isSystemPath(real)) {
      b.readOnlyBind(real, program.toString());
    }
    interpreter(real)
        .map(HiddenPaths::realPath)
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
