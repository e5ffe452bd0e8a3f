package dev.robojail.sandbox;

import dev.robojail.ffm.SetupProgram;
import dev.robojail.ffm.Syscalls;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;

/**
 * An immutable description of a sandboxed command: its namespaces, ids, root filesystem,
 * environment and standard streams. {@link #start()} runs it and returns a live {@link
 * SandboxProcess}.
 *
 * <pre>{@code
 * Process p = Sandbox.builder()
 *     .minimalSystem()                // read-only /usr, /bin, /lib…, /etc; fresh /proc, /dev, /tmp
 *     .bind(project, "/workspace")    // read-write
 *     .workingDirectory("/workspace")
 *     .command("make", "test")
 *     .start();
 * }</pre>
 *
 * <p>Defaults are the safe ones: every namespace including the network (so only loopback), the
 * caller's own uid and gid inside, an empty environment, no new privileges, a new session, a
 * read-only root, and the sandbox killed if the JVM dies.
 *
 * <p>The spec is a record of small records, one per concern, so that an option lives in one of them
 * and in the {@link Builder}. Every spec is checked when it is made, whether by {@link
 * Builder#build()} or by this constructor: an invalid one throws {@link
 * SandboxException.InvalidSpec}, and bind sources are resolved to their real paths then.
 *
 * @param command the command and its arguments; a name without {@code /} is looked up on PATH
 * @param namespaces the namespaces the sandbox has of its own
 * @param network its network: the host's, its own loopback, or its own loopback with an egress
 *     proxy; consistent with whether {@code namespaces} has {@link Namespace#NET}
 * @param hostname the hostname inside, or null to keep the host's
 * @param identity the ids inside
 * @param mounts the root filesystem, applied in order on a fresh tmpfs
 * @param environment the working directory and environment variables
 * @param streams where the standard streams go
 * @param security what the command may do beyond its namespaces
 * @param limits resource limits
 * @param lifecycle how the command's process relates to its session and to the JVM
 */
public record Sandbox(
    List<String> command,
    Set<Namespace> namespaces,
    Network network,
    String hostname,
    Identity identity,
    List<Mount> mounts,
    Environment environment,
    Streams streams,
    Security security,
    Limits limits,
    Lifecycle lifecycle) {
  /** The PATH used to find the command when the environment sets none. */
  public static final String DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

  /**
   * The top-level directories {@link Builder#minimalSystem()} shows as the host has them: bound
   * read-only where the host's is a directory, the same link where it is a link ({@code /bin ->
   * usr/bin} on a usr-merged host).
   */
  public static final List<String> SYSTEM_TOP_DIRS =
      List.of("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32");

  /** The size of a tmpfs that sets none of its own, unless {@link Builder#tmpfsSize} says. */
  public static final long DEFAULT_TMPFS_SIZE = 1L << 30;

  /**
   * Checks the spec and resolves its bind sources.
   *
   * @throws SandboxException.InvalidSpec if the spec is invalid
   */
  public Sandbox {
    command = List.copyOf(command);
    EnumSet<Namespace> ns = EnumSet.noneOf(Namespace.class);
    ns.addAll(namespaces);
    namespaces = Collections.unmodifiableSet(ns);
    if (network == null) {
      network = ns.contains(Namespace.NET) ? Network.loopback() : Network.host();
    }
    if ((network instanceof Network.Host) == ns.contains(Namespace.NET)) {
      throw new SandboxException.InvalidSpec(
          "the network "
              + network
              + " needs "
              + (ns.contains(Namespace.NET) ? "the host's" : "a network namespace of its own"));
    }
    Objects.requireNonNull(identity);
    Objects.requireNonNull(environment);
    Objects.requireNonNull(streams);
    Objects.requireNonNull(security);
    Objects.requireNonNull(limits);
    Objects.requireNonNull(lifecycle);
    mounts =
        Validation.check(command, namespaces, hostname, identity, mounts, environment, lifecycle);
  }

  /** A builder with the safe defaults and nothing mounted. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder that starts as a copy of this spec. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /**
   * This spec without its {@link Mount.Overlay} mounts, for a start after the kernel refused one
   * ({@link SandboxException.OverlayRefused}): their mount points show what is there beneath.
   */
  public Sandbox withoutOverlays() {
    Builder b = toBuilder();
    b.mounts.removeIf(m -> m instanceof Mount.Overlay);
    return b.build();
  }

  /** Starts the command. Blocks until it has exec'd, or its setup has failed. */
  public SandboxProcess start() {
    return Spawner.start(this);
  }

  /**
   * Starts the command as another session of a running sandbox made from this same spec: it joins
   * that sandbox's namespaces (its processes, mounts, hostname and network) and its cgroup, and
   * gets the same protections, streams and terminal handling as the first session; it ends when the
   * sandbox does. Needs robojail-init and a PID namespace of its own. Blocks until it has exec'd,
   * or its setup has failed.
   *
   * @param pid the running sandbox's PID 1, as the caller sees it
   * @param pidfd a pidfd for it that the caller opened and then checked to be that very process
   *     (see {@code pidfd_open(2)}): from then on no reused pid can be joined instead. The caller
   *     keeps and closes it.
   * @throws SandboxException.SetupFailed if the sandbox has ended, or cannot be joined
   */
  public SandboxProcess join(int pid, int pidfd) {
    return Spawner.join(this, new Spawner.Target(pid, pidfd));
  }

  /**
   * A TCP connection to {@code 127.0.0.1:port} inside the running sandbox whose PID 1 {@code pidfd}
   * is (checked as for {@link #join}), for forwarding a port of the sandbox to the host; the caller
   * owns the returned socket descriptor.
   *
   * @throws SandboxException.SetupFailed if nothing listens there ({@code ECONNREFUSED}) or the
   *     sandbox cannot be joined
   */
  public static int connectInside(int pid, int pidfd, int port) {
    if (port < 1 || port > 0xffff) {
      throw new IllegalArgumentException("not a port: " + port);
    }
    return Spawner.connect(new Spawner.Target(pid, pidfd), port);
  }

  /** The program of a session joining a running sandbox, for printing and tests. */
  SetupProgram joinPlan(HostFacts facts) {
    return SetupPlan.join(
        this,
        facts,
        999,
        new SetupPlan.Descriptors(
            streams.stdin() instanceof Stdio.Inherit ? -1 : 1000,
            streams.stdout() instanceof Stdio.Inherit ? -1 : 1001,
            streams.stderr() instanceof Stdio.Inherit ? -1 : 1002,
            -1,
            1004));
  }

  /**
   * The system calls the child will make between clone and exec on this host, with placeholders for
   * the standard stream descriptors that {@link #start()} creates. For printing and tests.
   */
  public SetupProgram plan() {
    return plan(HostFacts.probe(this));
  }

  /** {@link #plan()} on a host with these facts. */
  SetupProgram plan(HostFacts facts) {
    return SetupPlan.program(
        this,
        facts,
        new SetupPlan.Descriptors(
            streams.stdin() instanceof Stdio.Inherit ? -1 : 1000,
            streams.stdout() instanceof Stdio.Inherit ? -1 : 1001,
            streams.stderr() instanceof Stdio.Inherit ? -1 : 1002,
            network.handsOver() ? 1003 : -1,
            1004));
  }

  /**
   * The ids inside the sandbox; outside they are always the caller's own.
   *
   * @param uid the uid inside
   * @param gid the gid inside
   */
  public record Identity(int uid, int gid) {}

  /**
   * Where the command starts and what it is told.
   *
   * @param workingDirectory the working directory inside
   * @param variables the environment variables, in the order they were set
   */
  public record Environment(String workingDirectory, Map<String, String> variables) {
    /** Copies the variables, keeping their order. */
    public Environment {
      variables = Collections.unmodifiableMap(new LinkedHashMap<>(variables));
    }

    /** Names the variables without their values, which may be secrets, for specs in logs. */
    @Override
    public String toString() {
      return "Environment[workingDirectory="
          + workingDirectory
          + ", variables="
          + variables.keySet()
          + "]";
    }
  }

  /**
   * Where the command's standard streams go.
   *
   * @param stdin standard input
   * @param stdout standard output
   * @param stderr standard error, unless redirected
   * @param redirectErrorStream whether standard error goes wherever standard output goes
   */
  public record Streams(Stdio stdin, Stdio stdout, Stdio stderr, boolean redirectErrorStream) {
    /** Checks that every stream is given. */
    public Streams {
      Objects.requireNonNull(stdin);
      Objects.requireNonNull(stdout);
      Objects.requireNonNull(stderr);
    }
  }

  /**
   * What the command may do beyond what its namespaces allow.
   *
   * @param noNewPrivs whether exec can never gain privileges ({@code PR_SET_NO_NEW_PRIVS})
   * @param keepCapabilities whether the command keeps its capabilities inside (only with {@link
   *     Builder#rootInside()})
   * @param allowPtrace whether processes in the sandbox may trace each other
   * @param allowUserNamespaces whether the sandbox may create nested user namespaces
   * @param landlock whether Landlock confines writes to the writable mounts, where the kernel has
   *     it
   * @param writableRoot whether the root tmpfs stays writable
   */
  public record Security(
      boolean noNewPrivs,
      boolean keepCapabilities,
      boolean allowPtrace,
      boolean allowUserNamespaces,
      boolean landlock,
      boolean writableRoot) {}

  /**
   * Resource limits, soft and hard alike.
   *
   * @param coreLimit the core dump size limit in bytes (0: no core dumps), or -1 for the host's
   * @param openFiles the limit on open descriptors per process ({@code RLIMIT_NOFILE}), or -1 for
   *     the host's
   * @param processes the limit on processes ({@code RLIMIT_NPROC}, and the sandbox's cgroup's
   *     {@code pids.max} where one can be made), or -1 for the host's
   * @param memory the limit on the memory of all the sandbox's processes together, in bytes (its
   *     cgroup's {@code memory.max}, where one can be made), or -1 for none
   * @param tmpfsSize the size of each tmpfs that sets none of its own ({@code /tmp}, {@code
   *     /dev/shm}), in bytes, or -1 for the kernel's default (half the machine's memory)
   */
  public record Limits(
      long coreLimit, long openFiles, long processes, long memory, long tmpfsSize) {}

  /**
   * How the command's process relates to its session and to the JVM.
   *
   * @param newSession whether it gets a session of its own, detached from the caller's terminal
   * @param controllingTerminal whether standard input (a terminal) becomes the session's
   *     controlling terminal
   * @param dieWithParent whether it is killed when the JVM dies
   * @param init whether the command runs under robojail-init, a PID 1 that passes signals on and
   *     reaps
   */
  public record Lifecycle(
      boolean newSession, boolean controllingTerminal, boolean dieWithParent, boolean init) {}

  /**
   * Builds a {@link Sandbox}. Not thread-safe; {@link #build()} checks the whole spec before
   * anything is touched.
   */
  public static final class Builder {
    private final List<String> command = new ArrayList<>();
    private final Set<Namespace> namespaces =
        EnumSet.of(
            Namespace.USER,
            Namespace.MOUNT,
            Namespace.PID,
            Namespace.IPC,
            Namespace.UTS,
            Namespace.NET);
    // The caller's own until set: asked of the kernel at build(), not here, so that a builder made
    // early (a jail's profile) makes no native call, which would wait for the link ahead.
    private OptionalInt uid = OptionalInt.empty();
    private OptionalInt gid = OptionalInt.empty();
    private Network network = Network.loopback();
    private String hostname = "sandbox";
    private final List<Mount> mounts = new ArrayList<>();
    private PendingCovers pendingCovers;
    // The mounts of the spec this builder copies: resolved when that spec was built.
    private final Set<Mount> resolved = Collections.newSetFromMap(new IdentityHashMap<>());
    private String workingDirectory = "/";
    private final Map<String, String> environment = new LinkedHashMap<>();
    private Stdio stdin = Stdio.inherit();
    private Stdio stdout = Stdio.inherit();
    private Stdio stderr = Stdio.inherit();
    private boolean redirectErrorStream;
    private boolean noNewPrivs = true;
    private boolean newSession = true;
    private boolean controllingTerminal;
    private boolean landlock = true;
    private boolean dieWithParent = true;
    private boolean init = true;
    private boolean writableRoot;
    private boolean keepCapabilities;
    private boolean allowPtrace;
    private boolean allowUserNamespaces;
    private long coreLimit;
    private long openFiles = -1;
    private long processes = -1;
    private long memory = -1;
    private long tmpfsSize = DEFAULT_TMPFS_SIZE;

    private Builder() {}

    private Builder(Sandbox s) {
      command.addAll(s.command());
      namespaces.clear();
      namespaces.addAll(s.namespaces());
      network = s.network();
      uid = OptionalInt.of(s.identity().uid());
      gid = OptionalInt.of(s.identity().gid());
      hostname = s.hostname();
      mounts.addAll(s.mounts());
      resolved.addAll(s.mounts());
      workingDirectory = s.environment().workingDirectory();
      environment.putAll(s.environment().variables());
      stdin = s.streams().stdin();
      stdout = s.streams().stdout();
      stderr = s.streams().stderr();
      redirectErrorStream = s.streams().redirectErrorStream();
      noNewPrivs = s.security().noNewPrivs();
      keepCapabilities = s.security().keepCapabilities();
      allowPtrace = s.security().allowPtrace();
      allowUserNamespaces = s.security().allowUserNamespaces();
      landlock = s.security().landlock();
      writableRoot = s.security().writableRoot();
      coreLimit = s.limits().coreLimit();
      openFiles = s.limits().openFiles();
      processes = s.limits().processes();
      memory = s.limits().memory();
      tmpfsSize = s.limits().tmpfsSize();
      newSession = s.lifecycle().newSession();
      controllingTerminal = s.lifecycle().controllingTerminal();
      dieWithParent = s.lifecycle().dieWithParent();
      init = s.lifecycle().init();
    }

    /** The command and its arguments; a name without {@code /} is looked up on PATH inside. */
    public Builder command(String... command) {
      return command(List.of(command));
    }

    /** The command and its arguments. */
    public Builder command(List<String> command) {
      this.command.clear();
      this.command.addAll(command);
      return this;
    }

    /** Also gives the sandbox these namespaces of its own. */
    public Builder unshare(Namespace... ns) {
      namespaces.addAll(List.of(ns));
      if (namespaces.contains(Namespace.NET) && network instanceof Network.Host) {
        network = Network.loopback();
      }
      return this;
    }

    /**
     * Shares these namespaces with the host instead ({@code USER} and {@code MOUNT} cannot be).
     * Sharing {@code UTS} keeps the host's hostname.
     */
    public Builder share(Namespace... ns) {
      for (Namespace n : ns) {
        namespaces.remove(n);
        if (n == Namespace.NET) {
          network = Network.host();
        }
        if (n == Namespace.UTS) {
          hostname = null; // the host's own name stays; setting one now is an error
        }
      }
      return this;
    }

    /** Whether the sandbox uses the host's network ({@code true}) or only its own loopback. */
    public Builder network(boolean shareHostNetwork) {
      return network(shareHostNetwork ? Network.host() : Network.loopback());
    }

    /**
     * The sandbox's network (default {@link Network#loopback()}); {@link Network#proxy} gives it a
     * way out through an egress proxy that this JVM serves.
     */
    public Builder network(Network network) {
      this.network = Objects.requireNonNull(network);
      if (network instanceof Network.Host) {
        namespaces.remove(Namespace.NET);
      } else {
        namespaces.add(Namespace.NET);
      }
      return this;
    }

    /** The uid inside; outside it is always the caller's. */
    public Builder uid(int uid) {
      this.uid = OptionalInt.of(uid);
      return this;
    }

    /** The gid inside; outside it is always the caller's. */
    public Builder gid(int gid) {
      this.gid = OptionalInt.of(gid);
      return this;
    }

    /**
     * Root (uid and gid 0) inside, with the capabilities of root in the sandbox's own user
     * namespace; still only the caller's own ids outside. Without this, every capability is dropped
     * before the command runs, even when the caller is root on the host.
     */
    public Builder rootInside() {
      keepCapabilities = true;
      return uid(0).gid(0);
    }

    /**
     * Whether processes in the sandbox may trace each other (debuggers, {@code strace}); off by
     * default, since tracing is also how one process reads and writes another's memory.
     */
    public Builder allowPtrace(boolean on) {
      this.allowPtrace = on;
      return this;
    }

    /** Whether the sandbox may create nested user namespaces (off by default). */
    public Builder allowUserNamespaces(boolean on) {
      this.allowUserNamespaces = on;
      return this;
    }

    /** The core dump size limit in bytes; 0 (the default) disables core dumps. */
    public Builder coreLimit(long bytes) {
      this.coreLimit = bytes;
      return this;
    }

    /**
     * The most descriptors a process may have open ({@code RLIMIT_NOFILE}, soft and hard), or -1
     * (the default) to keep the host's; capped at the host's hard limit, which an unprivileged
     * process cannot raise.
     */
    public Builder openFiles(long max) {
      this.openFiles = max;
      return this;
    }

    /**
     * The most processes ({@code RLIMIT_NPROC}, soft and hard), against fork bombs; -1 (the
     * default) keeps the host's. The kernel counts them per user, across user namespaces.
     */
    public Builder processes(long max) {
      this.processes = max;
      return this;
    }

    /**
     * The most memory all the sandbox's processes may use together, in bytes; past it the kernel
     * reclaims, then kills one of them. -1 (the default) sets none. It needs a cgroup of the
     * sandbox's own, which robojail makes where the host lets it (cgroup v2 with delegated {@code
     * memory}, or v1 controllers writable, as for root); {@link HostReport} says whether it can.
     */
    public Builder memory(long bytes) {
      this.memory = bytes;
      return this;
    }

    /**
     * The size of each tmpfs that sets none of its own ({@code /tmp} and {@code /dev/shm} of {@link
     * #minimalSystem()}), in bytes; -1 for the kernel's default, half the machine's memory. Default
     * {@value Sandbox#DEFAULT_TMPFS_SIZE} bytes.
     */
    public Builder tmpfsSize(long bytes) {
      this.tmpfsSize = bytes;
      return this;
    }

    /** The hostname inside (needs the UTS namespace), or null to keep the host's. */
    public Builder hostname(String hostname) {
      this.hostname = hostname;
      return this;
    }

    /** Adds a mount; mounts apply in the order they were added. */
    public Builder mount(Mount mount) {
      mounts.add(Objects.requireNonNull(mount));
      return this;
    }

    /** Binds a host path read-write at {@code target}. */
    public Builder bind(Path source, String target) {
      return mount(new Mount.Bind(source, target, false));
    }

    /**
     * Shows the host directory {@code lower} at {@code target} through an overlay whose writes land
     * in {@code upper} ({@link Mount.Overlay}).
     */
    public Builder overlay(Path lower, Path upper, Path work, String target) {
      return mount(new Mount.Overlay(lower, upper, work, target));
    }

    /** Binds a host path read-only at {@code target}. */
    public Builder readOnlyBind(Path source, String target) {
      return mount(new Mount.Bind(source, target, true));
    }

    /** Binds a host path read-only at the same path inside. */
    public Builder readOnlyBind(Path source) {
      return readOnlyBind(source, source.toString());
    }

    /** An empty tmpfs, mode 0755, of the sandbox's {@link #tmpfsSize(long) default size}. */
    public Builder tmpfs(String target) {
      return mount(new Mount.Tmpfs(target, 0, 0755));
    }

    /** An empty tmpfs with a size limit and mode. */
    public Builder tmpfs(String target, long sizeBytes, int mode) {
      return mount(new Mount.Tmpfs(target, sizeBytes, mode));
    }

    /** A fresh proc for the sandbox's PID namespace. */
    public Builder proc(String target) {
      return mount(new Mount.Proc(target));
    }

    /** A minimal /dev. */
    public Builder dev(String target) {
      return mount(new Mount.Dev(target));
    }

    /** An empty directory. */
    public Builder dir(String target, int mode) {
      return mount(new Mount.Dir(target, mode));
    }

    /** A symbolic link at {@code target} pointing to {@code linkTarget}. */
    public Builder symlink(String linkTarget, String target) {
      return mount(new Mount.Symlink(linkTarget, target));
    }

    /** A small file with this content. */
    public Builder file(String target, String content, int mode) {
      return mount(new Mount.File(target, content.getBytes(StandardCharsets.UTF_8), mode));
    }

    /**
     * The usual base: {@code /usr} and {@code /bin}, {@code /sbin}, {@code /lib*} read-only (as the
     * symbolic links they are on merged-/usr systems), the host's {@code /etc} read-only without
     * what not every user of the host may read (each such file or directory is covered by an empty
     * one: {@code shadow}, {@code sudoers}, private keys…), a fresh {@code /proc}, a minimal {@code
     * /dev} and a private {@code /tmp}. The host's users and groups stay visible, as they are to
     * every process of the host; {@link #etcFile} puts the sandbox's own over them.
     */
    public Builder minimalSystem() {
      return Presets.minimalSystem(this);
    }

    /**
     * {@link #minimalSystem()} without the host's {@code /etc}, and so without the look at each of
     * its entries that finds what to cover: for a spec that only {@link Sandbox#join joins} a
     * running sandbox made with {@code minimalSystem()}. A joining session makes no mounts (it sees
     * the running sandbox's, covers included); of its spec's mounts it reads only which are
     * writable, for its Landlock rules, and the host's {@code /etc} is read-only either way, so the
     * join is the same. A sandbox started from such a spec has no host {@code /etc} at all.
     */
    public Builder minimalSystemToJoin() {
      return Presets.minimalSystemToJoin(this);
    }

    /**
     * Puts a file of the sandbox's own over the host's {@code /etc/name}, with {@link
     * #minimalSystem()}: over the host's file, or where the host's symbolic link of that name leads
     * inside when it leads out of what the system shows. Replaces what an earlier mount put there.
     *
     * @throws SandboxException.InvalidSpec if the host has no file of that name to put it over
     */
    public Builder etcFile(String name, String content, int mode) {
      return Presets.etcFile(this, name, content, mode);
    }

    /** Adds a mount in place of any earlier one at its target. */
    Builder replace(Mount mount) {
      if (pendingCovers != null) {
        pendingCovers.replace(mounts, mount.target());
      } else {
        mounts.removeIf(m -> m.target().equals(mount.target()));
      }
      return mount(mount);
    }

    // The host's /etc's covers that the walk ahead is making, to go in where they would have been
    // added once it has: see build().
    void coversLater(HostAhead.Work walk, Path real, String target) {
      if (pendingCovers != null) {
        pendingCovers.splice(mounts); // never dropped for another
      }
      pendingCovers = new PendingCovers(walk, real, target, mounts.size());
    }

    public Builder workingDirectory(String dir) {
      this.workingDirectory = dir;
      return this;
    }

    /** Sets one environment variable (the environment starts empty). */
    public Builder env(String name, String value) {
      environment.put(name, value);
      return this;
    }

    /** Sets these environment variables. */
    public Builder environment(Map<String, String> env) {
      environment.putAll(env);
      return this;
    }

    // The streams set so far, for TerminalRelay to replace only those that would be inherited.
    Streams streamsSoFar() {
      return new Streams(stdin, stdout, stderr, redirectErrorStream);
    }

    /** Copies these variables from the JVM's environment, where set. */
    public Builder passEnv(String... names) {
      for (String n : names) {
        String v = System.getenv(n);
        if (v != null) {
          environment.put(n, v);
        }
      }
      return this;
    }

    public Builder stdin(Stdio stdin) {
      this.stdin = Objects.requireNonNull(stdin);
      return this;
    }

    public Builder stdout(Stdio stdout) {
      this.stdout = Objects.requireNonNull(stdout);
      return this;
    }

    public Builder stderr(Stdio stderr) {
      this.stderr = Objects.requireNonNull(stderr);
      return this;
    }

    /** Sends standard error wherever standard output goes. */
    public Builder redirectErrorStream(boolean redirect) {
      this.redirectErrorStream = redirect;
      return this;
    }

    /** {@code PR_SET_NO_NEW_PRIVS} (default on): exec can never gain privileges (setuid…). */
    public Builder noNewPrivs(boolean on) {
      this.noNewPrivs = on;
      return this;
    }

    /** A session of its own (default on), detached from the caller's terminal. */
    public Builder newSession(boolean on) {
      this.newSession = on;
      return this;
    }

    /**
     * Makes standard input, which must be a terminal (such as the slave of a pseudo-terminal passed
     * with {@link Stdio#descriptor(int)}), the controlling terminal of the sandbox's new session,
     * so that job control and Ctrl-C work inside. Needs {@link #newSession(boolean)}.
     */
    public Builder controllingTerminal(boolean on) {
      this.controllingTerminal = on;
      return this;
    }

    /**
     * Landlock as a second layer (default on, where the kernel has it): writes are allowed only
     * beneath read-write binds, tmpfs mounts, {@code /dev} and {@code /proc}, whatever the mount
     * table says. So a {@link #writableRoot(boolean) writable root} is only writable without it.
     */
    public Builder landlock(boolean on) {
      this.landlock = on;
      return this;
    }

    /** Killed when the JVM dies (default on). */
    public Builder dieWithParent(boolean on) {
      this.dieWithParent = on;
      return this;
    }

    /**
     * Runs the command under robojail-init (default on), a tiny PID 1 that passes the signals it
     * gets (SIGTERM, SIGINT, SIGHUP…) on to the command and reaps orphaned processes; the command
     * is PID 2 and the init exits with its status. Without it the command is PID 1 of its PID
     * namespace, where the kernel drops every signal it has no handler for, and orphans it does not
     * wait for stay zombies. Ignored when the PID namespace is shared; skipped, with a logged
     * warning, where the init cannot be executed (such as {@code vm.memfd_noexec = 2}).
     */
    public Builder init(boolean on) {
      this.init = on;
      return this;
    }

    /** Whether the root tmpfs stays writable (default: read-only once built). */
    public Builder writableRoot(boolean on) {
      this.writableRoot = on;
      return this;
    }

    // Whether the covers of a walk ahead are still to be put in (HostAhead.awaitCovers).
    boolean awaitsCovers() {
      return pendingCovers != null;
    }

    // The covers the walk ahead is making put in now (HostAhead.awaitCovers, build). Forgotten
    // only once they are in: a failure here leaves them to the next call.
    void spliceCovers() {
      if (pendingCovers != null) {
        pendingCovers.splice(mounts);
        pendingCovers = null;
      }
    }

    /** Checks the spec and freezes it; the builder is left as it was and can be built again. */
    public Sandbox build() {
      spliceCovers();
      return new Sandbox(
          command,
          namespaces,
          network,
          hostname,
          new Identity(uid.orElseGet(Syscalls::getuid), gid.orElseGet(Syscalls::getgid)),
          new Validation.Resolved(mounts, resolved),
          new Environment(workingDirectory, environment),
          new Streams(stdin, stdout, stderr, redirectErrorStream),
          new Security(
              noNewPrivs,
              keepCapabilities,
              allowPtrace,
              allowUserNamespaces,
              landlock,
              writableRoot),
          new Limits(coreLimit, openFiles, processes, memory, tmpfsSize),
          new Lifecycle(newSession, controllingTerminal, dieWithParent, init));
    }

    /** {@code build().start()}. */
    public SandboxProcess start() {
      return build().start();
    }
  }
}
