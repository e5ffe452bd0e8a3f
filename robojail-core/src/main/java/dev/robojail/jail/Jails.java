package dev.robojail.jail;

import dev.robojail.ffm.Kernel;
import dev.robojail.net.PortForward;
import dev.robojail.sandbox.HostAhead;
import dev.robojail.sandbox.Sandbox;
import dev.robojail.sandbox.TerminalRelay;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The library facade over jails: create, list, run, inspect and destroy them.
 *
 * <pre>{@code
 * Jails jails = Jails.open();
 * jails.create("demo", Path.of("."));
 * int status = jails.run("demo", List.of("make", "test"));
 * System.out.println(jails.status("demo").changes());
 * DestroyResult destroyed = jails.destroyJail("demo", false);
 * }</pre>
 *
 * <p>A jail is a working tree of the user's repository on a branch of its own, {@code
 * robojail/NAME-ID}, with a private git directory ({@link JailGitDir}) that borrows the user's
 * objects read-only, and a {@link Sandbox} around it. The jail's commits reach the user's branch of
 * the same name only when robojail imports them: on {@link #status}, {@link #destroyJail} and
 * {@link #planMerge}. Every method checks what it is given before changing anything, and {@link
 * #create} leaves nothing behind when it fails.
 *
 * <p>This class only finds the jail and hands it on; each job has a class of its own in this
 * package: {@code JailCreator}, {@code JailProfile} (what a jail sees), {@code JailRunner}, {@code
 * JailMerger}, {@code JailDestroyer}, with every path in {@code JailLayout}.
 */
public final class Jails {
  private final Config config;
  private final AgentProfiles agents;
  private final StateStore store;
  private final JailLayout layout;
  private final JailInspector inspector;
  private final JailImporter importer;
  private final JailCreator creator;
  private final JailProfile profile;
  private final JailRunner runner;
  private final JailMerger merger;
  private final JailDestroyer destroyer;
  private final JailRecovery recovery;
  private final JailRepair repair;
  private volatile Consumer<String> onRecovery = note -> {};
  private volatile Consumer<String> onWarning = line -> {};
  private final Dirs dirs;

  private Jails(
      Dirs dirs,
      Path home,
      Config config,
      AgentProfiles agents,
      Git git,
      Map<String, String> hostEnv) {
    Path userHome = home.toAbsolutePath().normalize();
    this.dirs = dirs;
    this.config = config;
    this.agents = agents;
    this.store = StateStore.of(dirs);
    this.layout = new JailLayout(dirs);
    this.inspector = new JailInspector(git, layout::checkoutIndex, () -> layout.newTemp("status"));
    this.importer = new JailImporter(git, layout);
    JailFiles files = new JailFiles(git, layout);
    this.creator = new JailCreator(git, store, layout, files, userHome, agents);
    this.profile = new JailProfile(config, userHome, git, layout, agents, hostEnv);
    this.runner = new JailRunner(store, layout, profile, line -> onWarning.accept(line));
    this.merger = new JailMerger(git, importer, userHome);
    this.destroyer = new JailDestroyer(git, store, layout, inspector, importer, runner, files);
    this.recovery = new JailRecovery(git, store, layout, files);
    this.repair = new JailRepair(git, store, layout, recovery);
  }

  /**
   * Starts linking robojail's native calls on a thread of its own, for a caller that is about to
   * start or join a jail ({@code run}, {@code exec}, {@code forward}): the first native call of a
   * JVM costs about 15 ms, which then overlaps the caller's own work before it; that call waits for
   * it, and a failure there is that call's to report.
   */
  public static void linkNativeAhead() {
    Kernel.linkAhead();
  }

  /**
   * {@link #linkNativeAhead()}, for a caller about to start a jail's sandbox or join it ({@code
   * run}, {@code enter}, {@code exec}): the same thread then does the host's part of the sandbox's
   * start, which depends on no jail (the walk of the host's {@code /etc}, unless {@code join}; the
   * host's limits and kernel facts), and the next sandbox built and started in this JVM takes it.
   *
   * @param join whether the caller only joins a running jail ({@code exec}), which needs no walk
   */
  public static void prepareSandboxAhead(boolean join) {
    HostAhead.start(join);
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
    return open(dirs, home, System.getenv());
  }

  /** As {@link #open(Dirs, Path)}, with {@code hostEnv} as robojail's own environment. */
  static Jails open(Dirs dirs, Path home, Map<String, String> hostEnv) {
    Config config = ConfigLoader.load(dirs, home);
    return new Jails(dirs, home, config, AgentProfiles.load(dirs.configFile()), new Git(), hostEnv);
  }

  /**
   * Where to report what the recovery of interrupted jails did (see {@link #recover()}), one line
   * each; by default nowhere.
   */
  public void onRecovery(Consumer<String> listener) {
    this.onRecovery = Objects.requireNonNull(listener, "listener");
  }

  /**
   * Where to report what a run warns of as its jail starts, one line each; by default nowhere.
   * Today that is {@link #hostNetworkWarning(String)}'s warning, for a jail that shares the host's
   * network: the run finds it in the one read of the jail it makes anyway.
   */
  public void onWarning(Consumer<String> listener) {
    this.onWarning = Objects.requireNonNull(listener, "listener");
  }

  /**
   * Finishes or undoes what killed robojail processes left half-way: an interrupted create is
   * rolled back, an interrupted destroy is finished (once it had started deleting) or abandoned
   * (before), and scratch directories of dead processes are swept. Every method that acts on a jail
   * does this first, except {@link #list()}, which shows what it finds.
   *
   * @return one line per jail recovered, as also given to {@link #onRecovery}
   */
  public List<String> recover() {
    List<String> notes = recovery.recover();
    notes.forEach(onRecovery);
    return notes;
  }

  /**
   * Rebuilds the state file from the jails on disk, when it was lost or is corrupt, and recovers
   * interrupted jails; see {@code JailRepair}.
   *
   * @return a report, one line per finding
   */
  public List<String> repair() {
    return repair.repair();
  }

  /**
   * Points a jail at its repository's new place, after the user moved it (or at another clone of it
   * that has the jail's base commit).
   *
   * @throws JailException if {@code newRepo} is not a repository with the jail's base commit
   */
  public JailState relocate(String name, Path newRepo) {
    recover();
    return repair.relocate(get(name), newRepo);
  }

  /** Where robojail keeps its configuration, state and jails. */
  public Dirs dirs() {
    return dirs;
  }

  /** The configuration in effect. */
  public Config config() {
    return config;
  }

  /** The agent profiles: the built-in ones and the configuration's {@code [agent.NAME]}. */
  public AgentProfiles agents() {
    return agents;
  }

  /** The jail's agent profile; empty for a jail made without one. */
  public Optional<AgentProfile> agent(JailState jail) {
    return profile.agent(jail);
  }

  /**
   * Starts a sandbox with the configured binds and runs {@code true} in it, so that a configuration
   * that would fail every run is found before one.
   *
   * @return the problem, one line; empty when the binds work (or there are none)
   */
  public Optional<String> checkBinds() {
    return profile.checkBinds();
  }

  /** The jail's own home directory on the host, which it sees at {@code $HOME}. */
  public Path home(JailState jail) {
    return layout.home(jail.name());
  }

  /**
   * Makes a jail: a new branch {@code robojail/NAME-ID} at the chosen start (or HEAD) in the user's
   * repository, the same branch checked out at {@link Dirs#jailDir} from a private git directory
   * under {@code <data dir>/gitdirs/}, and the jail's own home under {@code <data dir>/homes/}.
   *
   * <p>The name is reserved in the state file first, so two processes creating the same name cannot
   * both proceed; if any later step fails, the worktree, the branch and the reservation are all
   * undone.
   *
   * <p>The entrypoint (the command {@code enter} runs) is resolved now on PATH, or as an absolute
   * or {@code ~/} path; without one, the agent profile's command, or the configured shell. An agent
   * profile not named is inferred from the entrypoint's program ({@link AgentProfiles#inferFrom}).
   *
   * @throws InvalidJailNameException if the name is not acceptable
   * @throws InvalidInputException if the branch starts with {@code -}, like an option, or the agent
   *     profile is unknown
   * @throws JailConflictException if a jail of that name exists
   * @throws JailException if the repository, the branch or the entrypoint is not usable
   */
  public JailState create(CreateOptions options) {
    recover();
    return creator.create(options);
  }

  /** Makes a jail of the repository's HEAD with the configured shell; see {@link #create}. */
  public JailState create(String name, Path repo) {
    return create(CreateOptions.builder(name, repo).build());
  }

  /**
   * The toolchains of the user's home that jails see, read-only and on {@code PATH}, and what was
   * left out and why; found again before every run.
   */
  public ToolchainReport toolchains() {
    HomeToolchains.Found found = profile.toolchains();
    return new ToolchainReport(found.added(), found.refused());
  }

  /**
   * One line per kind of package cache: whether a jail's own starts from the host's ({@code
   * seed_caches}, through a read-only overlay) and, where it was asked for and cannot, why.
   */
  public List<String> caches() {
    return profile.caches();
  }

  /** Where the jail's checkout index is; see {@link JailLayout#checkoutIndex}. */
  Path checkoutIndex(JailName name) {
    return layout.checkoutIndex(name);
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
    return store.require(JailName.of(name));
  }

  // A jail being created is not whole, and one being destroyed is no longer.
  // The worktree and the repository are checked first, for the same words from every command.
  private JailState ready(String name) {
    JailState jail = get(name);
    JailRunner.requireReady(jail);
    JailLayout.requirePresent(jail);
    return jail;
  }

  /**
   * The sandbox a command of this jail runs in.
   *
   * <ul>
   *   <li>the {@linkplain Sandbox.Builder#minimalSystem() minimal system}, with an {@code
   *       /etc/passwd} and {@code /etc/group} naming only root, the user and nobody;
   *   <li>the jail's own home ({@link #home}) at the user's home directory, read-write and kept
   *       across runs: nothing of the user's home is visible unless bound, and with an agent
   *       profile its login and settings are copied in ({@link AgentProfile});
   *   <li>the worktree read-write at its host path, as the working directory;
   *   <li>the jail's private git directory ({@link JailGitDir}) read-write at its host path, and
   *       the user's object store read-only at its host path, which the private directory reaches
   *       through {@code objects/info/alternates}: git works inside (commit, branch, checkout…),
   *       and nothing else of the user's git directory is visible. A jail made before private git
   *       directories sees the user's whole git directory read-only instead;
   *   <li>the configured extra binds, with hidden paths kept out (see below);
   *   <li>the toolchains of the home ({@link #toolchains()}) read-only, on {@code PATH};
   *   <li>the entrypoint, with the npm package or virtual environment it belongs to, and its {@code
   *       #!} or {@code env} interpreter read-only, where outside the system dirs.
   * </ul>
   *
   * <p>Hidden paths ({@code hidden_paths}, relative to the home directory) are kept out of extra
   * binds in two ways. A bind whose source is a hidden path or lies inside one is refused: there is
   * no way to bind it without showing what it hides. A bind whose source contains a hidden path
   * (binding all of {@code ~/.config} while {@code .config/gcloud} is hidden) is allowed, but the
   * hidden path is covered inside the jail by an empty read-only tmpfs. Sources are compared as
   * real paths, so a symbolic link to a hidden path is caught too. A hidden file with another hard
   * link on the filesystem of a bound directory could be reached through that other name, so it
   * refuses the sandbox; so does a hidden path that cannot be read to the end, since what the check
   * did not see could be such a file.
   *
   * @param jail the jail
   * @param command the command and its arguments; empty for the entrypoint, or the configured shell
   * @param interactive whether the command talks to the user's terminal. Either way it gets a
   *     session of its own, never the caller's, so that {@code /dev/tty} cannot open the user's
   *     terminal; for a terminal of its own (job control, Ctrl-C) attach a {@link
   *     dev.robojail.sandbox.TerminalRelay}, which takes the place of every standard stream that is
   *     one of the caller's terminals
   * @throws JailException if an extra bind exposes a hidden path, or a hidden file may be reachable
   *     through another hard link
   */
  public Sandbox sandbox(JailState jail, List<String> command, boolean interactive) {
    return profile.sandbox(jail, command, interactive);
  }

  /**
   * What {@code enter} runs with {@code args}: the jail's entrypoint (or the configured shell),
   * with the arguments it was created with, then {@code args}. Run it with {@link #run(String,
   * List, boolean)}; with no {@code args}, run the empty command, which is the same.
   *
   * @throws JailConflictException if there is no such jail
   */
  public List<String> entrypointWith(String name, List<String> args) {
    return profile.entrypointWith(get(name), args);
  }

  /**
   * Runs a command in the jail with the caller's standard streams, and waits for it. When the jail
   * runs already, the command joins it as another session (see {@link #exec}); otherwise it starts
   * the jail, which ends when this command does.
   *
   * @param command the command; empty for the entrypoint or the configured shell
   * @return its exit status, 128 + the signal if a signal ended it
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
    return session(name, command, interactive, customize, null, false, false);
  }

  /**
   * Runs a command in the jail, as {@link #run(String, List)}, on the caller's terminal when any of
   * the caller's standard streams is one, through a {@link TerminalRelay} of this run's own: the
   * command gets a terminal of its own from the jail's own {@code devpts}, relayed to the caller's,
   * and never the caller's terminal itself. Whether a stream is a terminal is asked, and the relay
   * opened (the caller's terminal made raw), only once the jail is found, admitted and its sandbox
   * prepared: a jail that does not exist, or cannot be run, fails before the caller's terminal is
   * touched at all. The relay is closed, and the terminal restored, however the run ends.
   *
   * @param interactive see {@link #sandbox(JailState, List, boolean)}
   */
  public int runOnTerminal(String name, List<String> command, boolean interactive) {
    return session(name, command, interactive, UnaryOperator.identity(), null, true, false);
  }

  /**
   * Runs a command in the jail on the caller's terminal, through {@code relay}: the command gets a
   * terminal of its own from the jail's own {@code devpts}, relayed to the caller's. As {@link
   * #run(String, List)}: when the jail runs already, the command joins it.
   *
   * @param interactive see {@link #sandbox(JailState, List, boolean)}
   */
  public int run(String name, List<String> command, boolean interactive, TerminalRelay relay) {
    return session(name, command, interactive, relay::attach, relay, false, false);
  }

  /**
   * Runs a command in the running jail, as another session beside the one that started it: it joins
   * the jail's namespaces (the same processes, mounts, hostname and network) and cgroup, and gets
   * the same protections (no capabilities, no new privileges, the seccomp filter, Landlock, the
   * limits, the environment and working directory). It ends when the jail ends.
   *
   * @param relay the caller's terminal relay, or null for the caller's streams as they are
   * @return the command's exit status, 128 + the signal if a signal ended it
   * @throws JailConflictException if the jail is not running, or its record names a process that is
   *     not this user's jail
   */
  public int exec(String name, List<String> command, TerminalRelay relay) {
    return relay == null
        ? session(name, command, false, UnaryOperator.identity(), null, false, true)
        : session(name, command, false, relay::attach, relay, false, true);
  }

  /**
   * Runs a command in the running jail, as {@link #exec(String, List, TerminalRelay)}, on the
   * caller's terminal when any standard stream is one, as {@link #runOnTerminal}: a jail that does
   * not exist or is not running is refused before the caller's terminal is touched at all.
   */
  public int execOnTerminal(String name, List<String> command) {
    return session(name, command, false, UnaryOperator.identity(), null, true, true);
  }

  // A run reads the state once, in the runner, which calls for the recovery only when that read
  // shows a jail an interrupted robojail left.
  private int session(
      String name,
      List<String> command,
      boolean interactive,
      UnaryOperator<Sandbox.Builder> customize,
      TerminalRelay relay,
      boolean openRelay,
      boolean joinOnly) {
    JailName jail = JailName.of(name);
    recovery.sweep();
    return runner.run(
        jail, command, interactive, customize, relay, openRelay, joinOnly, this::recover);
  }

  /**
   * Opens the running jail's loopback port {@code jailPort} on the host's {@code
   * 127.0.0.1:hostPort} (0 for any free port), until the jail ends or the returned forward is
   * closed.
   *
   * @throws JailConflictException if the jail is not running
   * @throws JailException if the host's port cannot be listened on
   */
  public PortForward forward(String name, int hostPort, int jailPort) {
    recover();
    return runner.forward(get(name), hostPort, jailPort);
  }

  /**
   * What the jail changed against its base commit. The jail's branch is imported into the user's
   * repository first ({@link #importBranch}), so that its commits are counted.
   */
  public JailStatus status(String name) {
    recover();
    JailState jail = ready(name);
    return inspector.status(jail, importer.importBranch(jail).userTip());
  }

  /**
   * The destinations the jail's egress proxy refused, as {@code host:port} with how often, most
   * often first; empty for a jail that never ran with the proxy.
   */
  public Map<String, Integer> refusedConnections(String name) {
    JailState jail = get(name);
    try {
      return dev.robojail.net.ConnectionLog.refused(layout.networkLog(jail.name()));
    } catch (java.io.IOException e) {
      throw new StateException("cannot read the network log of jail " + name + ": " + e, e);
    }
  }

  /**
   * The warning to show before a jail runs with the host's network, or null when it does not: that
   * mode reaches every service on the host's loopback.
   */
  public String hostNetworkWarning() {
    return hostNetworkWarning(config().effectiveNetwork());
  }

  /**
   * {@link #hostNetworkWarning()} for jail {@code name}, whose own mode (or its agent profile's)
   * may differ.
   */
  public String hostNetworkWarning(String name) {
    return hostNetworkWarning(network(get(name)).mode());
  }

  /**
   * The jail's network as its next run gets it, and where its mode came from: its own {@code create
   * --network}, its agent profile, the configuration or the default.
   */
  public JailNetwork.Effective network(JailState jail) {
    return profile.network(jail);
  }

  private static String hostNetworkWarning(Config.NetworkMode mode) {
    return mode == Config.NetworkMode.HOST ? JailNetwork.HOST_WARNING : null;
  }

  /**
   * Brings the commits of the jail's branch into the user's repository, on the branch of the same
   * name, without running anything the jail controls; see {@link JailGitDir}.
   *
   * @return whether the user's branch moved
   * @throws JailException if the jail's branch is not a well-formed, complete history
   */
  public boolean importBranch(String name) {
    recover();
    return importer.importBranch(ready(name)).moved();
  }

  /**
   * Imports the jail's branch and works out what merging it into the current branch of the user's
   * repository brings. Nothing is merged yet; show the plan, then call {@link #merge(MergePlan)}.
   *
   * @throws JailConflictException if the user's working tree has uncommitted changes, or HEAD is
   *     not on a branch
   */
  public MergePlan planMerge(String name) {
    recover();
    return merger.plan(ready(name));
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
    return merger.merge(ready(plan.name().value()), plan);
  }

  /** The jail's changes as a terminal-safe patch. */
  public String diff(String name) {
    recover();
    return inspector.diff(ready(name));
  }

  /**
   * Removes a jail: its worktree, its state entry, and its branch unless that holds commits found
   * on no other branch. The jail's commits are imported first.
   *
   * @param force discard uncommitted changes, and end the jail's processes if it is running
   * @return what happened to the jail's branch
   * @throws JailConflictException if the jail is running, or has uncommitted changes and {@code
   *     force} is not set
   */
  public DestroyResult destroyJail(String name, boolean force) {
    recover();
    return destroyer.destroy(get(name), force);
  }

  /**
   * Removes a jail, as {@link #destroyJail}, for callers that only print what happened.
   *
   * @param force discard uncommitted changes
   * @return a note for the user when the branch was kept
   * @throws JailConflictException if the jail is running, or has uncommitted changes and {@code
   *     force} is not set
   */
  public Optional<String> destroy(String name, boolean force) {
    DestroyResult r = destroyJail(name, force);
    if (!r.branchKept()) {
      return Optional.empty();
    }
    // Kept for the embedders that print this note; the CLI words the result itself.
    String commits = r.keptCommits() + (r.keptCommits() == 1 ? " commit" : " commits");
    return Optional.of(
        TerminalSafe.sanitizeLine(
            String.format(
                "kept branch %s with %s; delete it with: git -C %s branch -D %s",
                r.branch(), commits, r.repo(), r.branch())));
  }
}
