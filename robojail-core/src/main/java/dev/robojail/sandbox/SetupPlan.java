package dev.robojail.sandbox;

import static dev.robojail.ffm.SetupProgram.Arg.of;
import static dev.robojail.ffm.SetupProgram.Arg.str;

import dev.robojail.ffm.Capabilities;
import dev.robojail.ffm.Errno;
import dev.robojail.ffm.Flags;
import dev.robojail.ffm.IfReq;
import dev.robojail.ffm.InitBinary;
import dev.robojail.ffm.Landlock;
import dev.robojail.ffm.LandlockAttr;
import dev.robojail.ffm.MountAttr;
import dev.robojail.ffm.OpenHow;
import dev.robojail.ffm.Pty;
import dev.robojail.ffm.Rlimit;
import dev.robojail.ffm.Seccomp;
import dev.robojail.ffm.Seccomp.Insn;
import dev.robojail.ffm.SetupProgram;
import dev.robojail.ffm.SetupProgram.Arg;
import dev.robojail.ffm.SetupProgram.Slot;
import dev.robojail.ffm.SetupProgram.Step;
import dev.robojail.ffm.SockAddrIn;
import dev.robojail.ffm.Syscalls;
import dev.robojail.ffm.Sysno;
import dev.robojail.net.EgressProxy;
import dev.robojail.net.HostPorts;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a {@link Sandbox} spec into the {@link SetupProgram} its child executes between clone and
 * exec. Every decision is made here, in Java, before anything is touched; the child only runs the
 * list. The program depends on the spec and the {@link HostFacts} alone, and each step is tagged
 * with its {@link Stage}.
 *
 * <p>The root is built the way bubblewrap builds it: a tmpfs is mounted on {@code /tmp} of the
 * child's private mount table and becomes the root with {@code pivot_root}, so the host's root is
 * at {@value #OLD} while the new root is assembled at {@value #NEW}; then the new root is pivoted
 * into and the host's root is detached, leaving nothing of the host but what was bound.
 */
final class SetupPlan {
  static final String BASE = "/tmp";
  static final String OLD = "/oldroot";
  static final String NEW = "/newroot";

  /**
   * Where what goes over a bound directory's files is made first: beside the new root, not in it,
   * so it is dropped with the old root and only the mounts made from it stay.
   */
  static final String STAGE = "/stage";

  /** The devices {@link Mount.Dev} binds from the host; a user namespace cannot mknod. */
  static final List<String> DEVICES = List.of("null", "zero", "full", "random", "urandom", "tty");

  /**
   * What of a fresh proc stays read-only, as bubblewrap and container runtimes leave it: the
   * sysctls (global ones, such as {@code kernel.core_pattern}, are writable by a jail of the host's
   * root, whose uid 0 is the owner of the files), and the files that act on the machine.
   */
  static final List<String> PROC_READ_ONLY = List.of("sys", "sysrq-trigger", "irq", "bus", "fs");

  /**
   * Files of proc that read as empty inside: kernel memory and addresses, other users' keys, timers
   * and scheduler state (moby's masked paths, and the page-frame files root may read).
   */
  static final List<String> PROC_MASKED_FILES =
      List.of(
          "kcore",
          "keys",
          "key-users",
          "timer_list",
          "sched_debug",
          "latency_stats",
          "kallsyms",
          "kpagecount",
          "kpageflags",
          "kpagecgroup",
          "vmallocinfo",
          "slabinfo",
          "pagetypeinfo",
          "interrupts");

  /**
   * The limits of {@code /proc/sys/user} that the user and all of its jails draw on together: a
   * count charged to the sandbox's user namespace is charged to the user's too, so without a limit
   * of its own one jail could take every inotify instance (128 by default) and leave the user's
   * editor, file watchers and {@code tail -f} failing with EMFILE while it runs.
   */
  static final List<String> SHARED_USER_LIMITS =
      List.of(
          "max_inotify_instances",
          "max_inotify_watches",
          "max_fanotify_groups",
          "max_fanotify_marks",
          "max_user_namespaces",
          "max_mnt_namespaces",
          "max_net_namespaces",
          "max_pid_namespaces",
          "max_ipc_namespaces",
          "max_uts_namespaces",
          "max_cgroup_namespaces",
          "max_time_namespaces");

  /** Directories of proc that look empty inside: the host's hardware. */
  static final List<String> PROC_MASKED_DIRS = List.of("acpi", "scsi", "asound");

  private static final long NOSUID_NODEV = Flags.MS_NOSUID | Flags.MS_NODEV;
  private static final int OPEN_TREE_CLONE = 1;
  private static final int MOVE_MOUNT_F_EMPTY_PATH = 4;
  private static final int TIOCSCTTY = 0x540e;
  private static final int PR_SET_SECUREBITS = 28;
  private static final int PR_CAP_AMBIENT = 47;
  private static final int PR_CAP_AMBIENT_CLEAR_ALL = 4;
  // SECBIT_NOROOT, SECBIT_NO_SETUID_FIXUP, SECBIT_NO_CAP_AMBIENT_RAISE and the lock bits of
  // those and of SECBIT_KEEP_CAPS (which itself stays off).
  private static final int SECUREBITS = 0x01 | 0x02 | 0x04 | 0x08 | 0x20 | 0x40 | 0x80;

  /**
   * The step that fails with EBADF when no candidate for the command exists, and with EACCES when
   * the one found cannot be executed, as shown.
   */
  static final String COMMAND_LOOKUP =
      "faccessat2(found command, \"\", X_OK, AT_EMPTY_PATH|AT_EACCESS)";

  private static final int LISTEN_BACKLOG = 512;

  private final HostFacts host;
  private final List<Step> steps = new ArrayList<>();
  private final Set<String> made = new HashSet<>();
  private int slots;
  private Stage stage;
  private Slot terminalMaster;

  private SetupPlan(HostFacts host) {
    this.host = host;
  }

  /**
   * The program for {@code sandbox} on a host with these facts, with the command's standard streams
   * taken from the given descriptors (or inherited, for -1), and for a network that {@linkplain
   * Network#handsOver() hands over} listeners the socket over which they go back to the parent: the
   * proxy's first, then one per host port in ascending order.
   */
  static SetupProgram program(
      Sandbox sandbox, HostFacts host, int stdin, int stdout, int stderr, int egress) {
    return program(sandbox, host, new Descriptors(stdin, stdout, stderr, egress, -1));
  }

  /**
   * The descriptors the parent gives the child, by number, or -1: the three standard streams', the
   * socket over which the egress proxy's listener goes back, and the one over which the master side
   * of a terminal of the sandbox's own ({@link Stdio.Terminal}) goes back.
   */
  record Descriptors(int stdin, int stdout, int stderr, int egress, int terminal) {}

  /**
   * Initialises the classes whose initialisers a start's plan runs (struct layouts and the filter's
   * tables, ~0.6 ms of an interpreted run), for a caller with time before its spec is built: a
   * run's main thread waiting for the walk ahead ({@link HostAhead#awaitCovers}). Those
   * initialisers need nothing of robojail's but {@code Structs}, which has none, and the link
   * thread runs none of them, so neither thread waits for the other here.
   */
  static void initialiseAhead() {
    Object[] unused = {
      IfReq.LAYOUT,
      SockAddrIn.LAYOUT,
      LandlockAttr.RULESET,
      Capabilities.HEADER,
      OpenHow.LAYOUT,
      SyscallFilter.PTRACE_LIKE,
      Stage.LANDLOCK
    };
  }

  /** {@link #program(Sandbox, HostFacts, int, int, int, int)} with every descriptor named. */
  static SetupProgram program(Sandbox sandbox, HostFacts host, Descriptors fds) {
    SetupPlan p = new SetupPlan(host);
    p.setup(sandbox, fds.egress());
    p.session(sandbox, fds, false);
    return SetupProgram.of(p.steps);
  }

  /**
   * The program of a second session in a running sandbox made from the same spec: the child, made
   * in no namespace of its own, joins the sandbox's namespaces at once through {@code pidfd} (a
   * pidfd of the sandbox's PID 1, so a pid reused since can never be joined: the call then fails
   * with ESRCH), and then gets everything the first session got after its mounts: working
   * directory, a session of its own, no capabilities, no new privileges, the limits, its streams
   * (its terminal from the same {@code devpts}), Landlock and the seccomp filter. It ends with
   * robojail-init, which forks the command: {@code setns} into a PID namespace moves only the
   * children, so only the command, never this child that shares the JVM's memory until it execs, is
   * in the sandbox's PID namespace.
   *
   * @throws SandboxException.InvalidSpec if there is no init to run ({@code host.initFd() < 0}), or
   *     the sandbox has no PID namespace to join
   */
  static SetupProgram join(Sandbox sandbox, HostFacts host, int pidfd, Descriptors fds) {
    if (!sandbox.namespaces().contains(Namespace.PID)
        || !sandbox.lifecycle().init()
        || host.initFd() < 0) {
      throw new SandboxException.InvalidSpec(
          "joining a running sandbox needs its own PID namespace and robojail-init, which cannot"
              + " be executed here");
    }
    SetupPlan p = new SetupPlan(host);
    p.stage(Stage.JOIN);
    long flags = 0;
    for (Namespace n : sandbox.namespaces()) {
      flags |= n.cloneFlag();
    }
    p.setns(pidfd, flags);
    p.session(sandbox, fds, true);
    return SetupProgram.of(p.steps);
  }

  /**
   * A helper's program that makes a TCP connection from inside a running sandbox's network: it
   * joins the sandbox's user and network namespaces through {@code pidfd}, connects to {@code
   * 127.0.0.1:port} there, sends the connected socket to the parent over {@code handover} and
   * exits. A socket stays in the namespace it was made in, so the parent, outside, can use it. The
   * helper is in no PID namespace of the sandbox and never execs, so nothing inside can see it.
   */
  static SetupProgram connect(int pidfd, int port, int handover) {
    SetupPlan p = new SetupPlan(new HostFacts(0, 0, 0, 0, -1));
    p.stage(Stage.JOIN);
    long flags = Syscalls.CLONE_NEWUSER | Syscalls.CLONE_NEWNET;
    p.setns(pidfd, flags);
    p.stage(Stage.NETWORK);
    Slot socket = new Slot("socket");
    p.tcpSocket(socket);
    byte[] address = SockAddrIn.bytes(new byte[] {127, 0, 0, 1}, port);
    p.add(
        Step.of(
            "connect",
            Sysno.CONNECT,
            Arg.result(socket),
            Arg.bytes(address, "{AF_INET, 127.0.0.1:" + port + "}"),
            of(address.length)));
    p.sendDescriptor(handover, "handover", socket);
    p.add(Step.of("exit_group", Sysno.EXIT_GROUP, of(0)));
    return SetupProgram.of(p.steps);
  }

  /** What makes the sandbox: its network, its root and its mounts. */
  private void setup(Sandbox s, int egress) {
    if (s.namespaces().contains(Namespace.NET)) {
      stage(Stage.NETWORK);
      loopbackUp();
      if (s.network().handsOver()) {
        if (egress < 0) {
          throw new IllegalArgumentException("a proxied network needs the handover socket");
        }
        if (s.network() instanceof Network.Proxy) {
          listener(egress, new byte[] {127, 0, 0, 1}, "127.0.0.1", EgressProxy.PORT);
        }
        for (int port : s.network().hostPorts().ports()) {
          listener(egress, new byte[] {127, 0, 0, 2}, HostPorts.ADDRESS, port);
        }
        add(Step.of("close", Sysno.CLOSE, of(egress, "handover")));
      }
    }
    stage(Stage.ROOT);
    // Nothing done below may propagate back to the host's mounts.
    add(
        Step.of(
            "mount",
            Sysno.MOUNT,
            str(null),
            str("/"),
            str(null),
            flags(Flags.MS_REC | Flags.MS_PRIVATE),
            str(null)));
    add(
        Step.of(
            "mount",
            Sysno.MOUNT,
            str("tmpfs"),
            str(BASE),
            str("tmpfs"),
            flags(NOSUID_NODEV),
            str("mode=0755")));
    mkdir(BASE + NEW, 0755);
    mkdir(BASE + OLD, 0755);
    add(Step.of("pivot_root", Sysno.PIVOT_ROOT, str(BASE), str(BASE + OLD)));
    add(Step.of("chdir", Sysno.CHDIR, str("/")));
    add(
        Step.of(
            "mount",
            Sysno.MOUNT,
            str("tmpfs"),
            str(NEW),
            str("tmpfs"),
            flags(NOSUID_NODEV),
            str("mode=0755")));
    made.add("/");

    stage(Stage.MOUNTS);
    Map<Mount, String> staged = staging(s.mounts());
    MountSteps steps = new MountSteps(s, staged);
    for (Mount m : s.mounts()) {
      m.accept(steps);
    }

    if (!s.security().writableRoot()) {
      setattr(NEW, 0, MountAttr.MOUNT_ATTR_RDONLY, "MOUNT_ATTR_RDONLY");
    }
    // pivot_root(".", ".") stacks the old root on the new one; detaching "." then drops the
    // old root and the host's root below it.
    add(Step.of("chdir", Sysno.CHDIR, str(NEW)));
    add(Step.of("pivot_root", Sysno.PIVOT_ROOT, str("."), str(".")));
    add(Step.of("umount2", Sysno.UMOUNT2, str("."), of(Syscalls.MNT_DETACH, "MNT_DETACH")));
  }

  /** The steps of each mount of the {@code mounts} stage, in the spec's order. */
  private final class MountSteps implements Mount.Visitor {
    private final Sandbox s;
    private final Map<Mount, String> staged;

    MountSteps(Sandbox s, Map<Mount, String> staged) {
      this.s = s;
      this.staged = staged;
    }

    @Override
    public void bind(Mount.Bind b) {
      SetupPlan.this.bind(b);
    }

    @Override
    public void overlay(Mount.Overlay o) {
      SetupPlan.this.overlay(o);
    }

    @Override
    public void cover(Mount.Cover c) {
      over(staged.get(c), c.target());
    }

    @Override
    public void tmpfs(Mount.Tmpfs t) {
      parents(t.target());
      mkdir(NEW + t.target(), 0755);
      long size = t.sizeBytes() > 0 ? t.sizeBytes() : s.limits().tmpfsSize();
      String data = "mode=0" + Integer.toOctalString(t.mode()) + (size > 0 ? ",size=" + size : "");
      add(
          Step.of(
              "mount",
              Sysno.MOUNT,
              str("tmpfs"),
              str(NEW + t.target()),
              str("tmpfs"),
              flags(NOSUID_NODEV),
              str(data)));
    }

    @Override
    public void proc(Mount.Proc p) {
      parents(p.target());
      mkdir(NEW + p.target(), 0555);
      add(
          Step.of(
              "mount",
              Sysno.MOUNT,
              str("proc"),
              str(NEW + p.target()),
              str("proc"),
              flags(NOSUID_NODEV | Flags.MS_NOEXEC),
              str(null)));
      if (s.namespaces().contains(Namespace.USER)) {
        shareUserLimits(NEW + p.target(), s.security().allowUserNamespaces());
      }
      protectProc(NEW + p.target());
    }

    @Override
    public void dev(Mount.Dev d) {
      SetupPlan.this.dev(d.target(), s.limits().tmpfsSize());
    }

    @Override
    public void dir(Mount.Dir d) {
      parents(d.target());
      mkdir(NEW + d.target(), d.mode());
    }

    @Override
    public void symlink(Mount.Symlink l) {
      parents(l.target());
      add(
          Step.of(
              "symlinkat",
              Sysno.SYMLINKAT,
              str(l.linkTarget()),
              of(Syscalls.AT_FDCWD, "AT_FDCWD"),
              str(NEW + l.target())));
    }

    @Override
    public void file(Mount.File f) {
      String at = staged.get(f);
      if (at != null) {
        over(at, f.target());
      } else {
        parents(f.target());
        SetupPlan.this.file(NEW + f.target(), f.content(), f.mode());
      }
    }
  }

  /**
   * What makes the session, the same for the first one and for those that join: everything from the
   * working directory to the exec. A joining session's hostname is the sandbox's already.
   */
  private void session(Sandbox s, Descriptors fds, boolean joined) {
    stage(Stage.PROCESS);
    add(Step.of("chdir", Sysno.CHDIR, str(s.environment().workingDirectory())));
    if (s.hostname() != null && !joined) {
      byte[] name = s.hostname().getBytes(StandardCharsets.UTF_8);
      add(Step.of("sethostname", Sysno.SETHOSTNAME, str(s.hostname()), of(name.length)));
    }
    if (s.lifecycle().newSession()) {
      add(Step.of("setsid", Sysno.SETSID));
    }
    if (s.lifecycle().dieWithParent()) {
      prctl(of(Syscalls.PR_SET_PDEATHSIG, "PR_SET_PDEATHSIG"), of(Syscalls.SIGKILL, "SIGKILL"));
    }
    stage(Stage.PRIVILEGES);
    if (s.security().noNewPrivs()) {
      prctl(of(Syscalls.PR_SET_NO_NEW_PRIVS, "PR_SET_NO_NEW_PRIVS"), of(1), of(0), of(0), of(0));
    }
    stage(Stage.LIMITS);
    Sandbox.Limits limits = s.limits();
    if (limits.coreLimit() >= 0) {
      rlimit(Rlimit.RLIMIT_CORE, "RLIMIT_CORE", limits.coreLimit());
    }
    if (limits.openFiles() >= 0) {
      rlimit(
          Rlimit.RLIMIT_NOFILE,
          "RLIMIT_NOFILE",
          Math.min(limits.openFiles(), host.openFilesHardLimit()));
    }
    if (limits.processes() >= 0) {
      rlimit(
          Rlimit.RLIMIT_NPROC,
          "RLIMIT_NPROC",
          Math.min(limits.processes(), host.processesHardLimit()));
    }
    stage(Stage.PRIVILEGES);
    if (!s.security().keepCapabilities()) {
      dropCapabilities();
    }
    stage(Stage.STDIO);
    Sandbox.Streams streams = s.streams();
    Slot terminal = ownTerminal(s);
    stdio(streams.stdin(), fds.stdin(), terminal, 0, "stdin");
    stdio(streams.stdout(), fds.stdout(), terminal, 1, "stdout");
    if (streams.redirectErrorStream()) {
      add(Step.of("dup3", Sysno.DUP3, of(1), of(2), of(0)));
    } else {
      stdio(streams.stderr(), fds.stderr(), terminal, 2, "stderr");
    }
    if (terminal != null) {
      handTerminalOver(terminal, fds.terminal());
    } else if (s.lifecycle().controllingTerminal()) {
      add(Step.of("ioctl", Sysno.IOCTL, of(0), of(TIOCSCTTY, "TIOCSCTTY"), of(0)));
    }
    if (s.security().landlock()) {
      stage(Stage.LANDLOCK);
      landlock(s, host.landlockAbi());
    }
    // Last before exec: the filter refuses mount and friends, which the steps above need.
    stage(Stage.SECCOMP);
    List<Insn> filter =
        SyscallFilter.program(
            s.security().allowPtrace(),
            s.security().allowUserNamespaces(),
            s.security().keepCapabilities());
    add(
        Step.of(
            "seccomp",
            Sysno.SECCOMP,
            of(Seccomp.SECCOMP_SET_MODE_FILTER, "SECCOMP_SET_MODE_FILTER"),
            of(0),
            Arg.bpf(Seccomp.encode(filter), "{" + filter.size() + " BPF instructions}")));
    exec(s);
  }

  /**
   * Empties every capability set for good: the bounding set (so exec cannot grant any), then
   * securebits that stop uid 0 from regaining them at exec and lock that, the ambient set, and
   * finally the effective, permitted and inheritable sets. Each step needs the capabilities the
   * steps before it leave, so the order matters.
   */
  private void dropCapabilities() {
    for (int cap = 0; cap <= host.lastCapability(); cap++) {
      prctl(of(Syscalls.PR_CAPBSET_DROP, "PR_CAPBSET_DROP"), of(cap), of(0), of(0), of(0));
    }
    prctl(
        of(PR_SET_SECUREBITS, "PR_SET_SECUREBITS"),
        of(SECUREBITS, "NOROOT|NO_SETUID_FIXUP|KEEP_CAPS_LOCKED|NO_CAP_AMBIENT_RAISE, locked"),
        of(0),
        of(0),
        of(0));
    prctl(
        of(PR_CAP_AMBIENT, "PR_CAP_AMBIENT"),
        of(PR_CAP_AMBIENT_CLEAR_ALL, "PR_CAP_AMBIENT_CLEAR_ALL"),
        of(0),
        of(0),
        of(0));
    byte[] header = Capabilities.header(Capabilities.VERSION_3, 0);
    add(
        Step.of(
            "capset",
            Sysno.CAPSET,
            Arg.bytes(header, "{_LINUX_CAPABILITY_VERSION_3, 0}"),
            Arg.bytes(Capabilities.emptyData(), "{{0, 0, 0}, {0, 0, 0}}")));
  }

  /**
   * A Landlock ruleset that allows changes only beneath the sandbox's writable mounts, so that a
   * mistake in the mount table (or a kernel bug in it) still does not let the command write
   * elsewhere. The rules are made in the child, after the pivot, on the sandbox's own paths: each
   * path is opened {@code O_PATH} straight into the rule's {@code parent_fd} field.
   */
  private void landlock(Sandbox s, int abi) {
    if (abi <= 0) {
      return; // no Landlock in this kernel: the mount table is the only layer (doctor says so)
    }
    List<String> writable = new ArrayList<>();
    List<String> writableFiles = new ArrayList<>();
    Mount.Visitor writes =
        new Mount.Visitor() {
          @Override
          public void bind(Mount.Bind b) {
            if (!b.readOnly()) {
              (b.directory() ? writable : writableFiles).add(b.target());
            }
          }

          @Override
          public void tmpfs(Mount.Tmpfs t) {
            writable.add(t.target());
          }

          @Override
          public void overlay(Mount.Overlay o) {
            writable.add(o.target());
          }

          @Override
          public void dev(Mount.Dev d) {
            writable.add(d.target());
          }

          @Override
          public void proc(Mount.Proc p) {
            writable.add(p.target());
          }

          // Read-only, whatever is beneath: the root's tmpfs or a staged copy.
          @Override
          public void dir(Mount.Dir d) {}

          @Override
          public void symlink(Mount.Symlink l) {}

          @Override
          public void cover(Mount.Cover c) {}

          @Override
          public void file(Mount.File f) {}
        };
    for (Mount m : s.mounts()) {
      m.accept(writes);
    }
    long access = Landlock.writeAccess(abi);
    Slot ruleset = new Slot("ruleset");
    // Abstract UNIX sockets belong to a network namespace, not the file system: with the host's
    // network only this scope keeps the host's (X11, D-Bus, agents) out. Signals likewise.
    long scoped = Landlock.scopes(abi);
    byte[] attr = LandlockAttr.ruleset(access, scoped);
    add(
        Step.of(
                "landlock_create_ruleset",
                Sysno.LANDLOCK_CREATE_RULESET,
                Arg.bytes(
                    attr,
                    scoped == 0
                        ? "{handled_access_fs=writes}"
                        : "{handled_access_fs=writes, scoped=ABSTRACT_UNIX_SOCKET|SIGNAL}"),
                of(attr.length),
                of(0))
            .into(ruleset));
    for (String path : writable) {
      landlockRule(ruleset, path, access, "writes");
    }
    for (String path : writableFiles) {
      landlockRule(ruleset, path, Landlock.fileWriteAccess(abi), "file writes");
    }
    add(
        Step.of(
            "landlock_restrict_self", Sysno.LANDLOCK_RESTRICT_SELF, Arg.result(ruleset), of(0)));
    add(Step.of("close", Sysno.CLOSE, Arg.result(ruleset)));
  }

  // One path's rule; a file's may only carry file rights (the kernel says EINVAL otherwise).
  private void landlockRule(Slot ruleset, String path, long access, String shown) {
    Slot fd = new Slot("fd" + slots++);
    byte[] rule = LandlockAttr.pathBeneath(access);
    add(
        Step.of(
                "openat",
                Sysno.OPENAT,
                of(Syscalls.AT_FDCWD, "AT_FDCWD"),
                str(path),
                of(Syscalls.O_PATH | Syscalls.O_CLOEXEC, "O_PATH|O_CLOEXEC"))
            .into(fd));
    add(
        Step.of(
            "landlock_add_rule",
            Sysno.LANDLOCK_ADD_RULE,
            Arg.result(ruleset),
            of(Landlock.RULE_PATH_BENEATH, "LANDLOCK_RULE_PATH_BENEATH"),
            Arg.bytesWithSlot(
                rule,
                (int) LandlockAttr.PARENT_FD,
                fd,
                "{allowed_access=" + shown + ", parent_fd=%s}"),
            of(0)));
    add(Step.of("close", Sysno.CLOSE, Arg.result(fd)));
  }

  private void rlimit(int resource, String name, long value) {
    byte[] limit = Rlimit.bytes(value, value);
    add(
        Step.of(
            "prlimit64",
            Sysno.PRLIMIT64,
            of(0),
            of(resource, name),
            Arg.bytes(limit, "{" + value + ", " + value + "}"),
            of(0, "NULL")));
  }

  /**
   * Binds without a race between check and use: the source (a real path, checked when the spec was
   * built) is opened with {@code openat2(RESOLVE_NO_SYMLINKS)}, so if any component has been
   * swapped for a symbolic link since, the setup fails instead of binding what the link points to;
   * the tree is cloned from that descriptor ({@code open_tree}), made read-only while still
   * detached, and only then attached at the target ({@code move_mount}).
   */
  private void bind(Mount.Bind b) {
    parents(b.target());
    String dst = NEW + b.target();
    int n = slots++;
    Slot source = new Slot("src" + n);
    Slot tree = new Slot("tree" + n);
    byte[] how =
        OpenHow.bytes(
            Syscalls.O_PATH | Syscalls.O_CLOEXEC,
            OpenHow.RESOLVE_NO_SYMLINKS | OpenHow.RESOLVE_NO_MAGICLINKS);
    add(
        Step.of(
                "openat2",
                Sysno.OPENAT2,
                of(Syscalls.AT_FDCWD, "AT_FDCWD"),
                str(OLD + b.source()),
                Arg.bytes(how, "{O_PATH|O_CLOEXEC, RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS}"),
                of(how.length))
            .into(source));
    add(
        Step.of(
                "open_tree",
                Sysno.OPEN_TREE,
                Arg.result(source),
                str(""),
                of(
                    OPEN_TREE_CLONE
                        | Syscalls.O_CLOEXEC
                        | Syscalls.AT_RECURSIVE
                        | Syscalls.AT_EMPTY_PATH,
                    "OPEN_TREE_CLONE|OPEN_TREE_CLOEXEC|AT_RECURSIVE|AT_EMPTY_PATH"))
            .into(tree));
    add(Step.of("close", Sysno.CLOSE, Arg.result(source)));
    long attr =
        b.readOnly()
            ? MountAttr.MOUNT_ATTR_RDONLY | MountAttr.MOUNT_ATTR_NOSUID
            : MountAttr.MOUNT_ATTR_NOSUID;
    byte[] attrs = new MountAttr(attr, 0).bytes();
    add(
        Step.of(
            "mount_setattr",
            Sysno.MOUNT_SETATTR,
            Arg.result(tree),
            str(""),
            of(Syscalls.AT_EMPTY_PATH | Syscalls.AT_RECURSIVE, "AT_EMPTY_PATH|AT_RECURSIVE"),
            Arg.bytes(
                attrs,
                "{attr_set="
                    + (b.readOnly() ? "MOUNT_ATTR_RDONLY|MOUNT_ATTR_NOSUID" : "MOUNT_ATTR_NOSUID")
                    + "}"),
            of(attrs.length)));
    if (b.directory()) {
      mkdir(dst, 0755);
    } else {
      touch(dst, 0644);
    }
    add(
        Step.of(
            "move_mount",
            Sysno.MOVE_MOUNT,
            Arg.result(tree),
            str(""),
            of(Syscalls.AT_FDCWD, "AT_FDCWD"),
            str(dst),
            of(MOVE_MOUNT_F_EMPTY_PATH, "MOVE_MOUNT_F_EMPTY_PATH")));
    add(Step.of("close", Sysno.CLOSE, Arg.result(tree)));
  }

  /**
   * An overlay of the lower directory with the upper one at the target, through the new mount API.
   * Each layer is opened here without following a symbolic link (the upper one lies where the
   * sandbox's programs wrote before) and given to the kernel as a descriptor ({@code
   * FSCONFIG_SET_FD}, Linux 6.13): no path is parsed as an option, so a comma or a colon in one
   * means nothing. {@code userxattr} keeps the overlay's own bookkeeping in {@code user.overlay.*}
   * attributes, the only ones a user namespace may write. Its steps carry the {@code overlay}
   * stage, so that a refusal is told apart from every other failed mount.
   */
  private void overlay(Mount.Overlay o) {
    parents(o.target());
    stage(Stage.OVERLAY);
    int n = slots++;
    byte[] how =
        OpenHow.bytes(
            Syscalls.O_PATH | Syscalls.O_DIRECTORY | Syscalls.O_CLOEXEC,
            OpenHow.RESOLVE_NO_SYMLINKS | OpenHow.RESOLVE_NO_MAGICLINKS);
    String shownHow = "{O_PATH|O_DIRECTORY|O_CLOEXEC, RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS}";
    Slot fs = new Slot("fs" + n);
    add(
        Step.of(
                "fsopen",
                Sysno.FSOPEN,
                str("overlay"),
                of(Syscalls.FSOPEN_CLOEXEC, "FSOPEN_CLOEXEC"))
            .into(fs));
    List<Slot> layers = new ArrayList<>();
    String[][] keys = {
      {"lowerdir+", o.lower().toString(), "lower"},
      {"upperdir", o.upper().toString(), "upper"},
      {"workdir", o.work().toString(), "work"}
    };
    for (String[] k : keys) {
      Slot layer = new Slot(k[2] + n);
      layers.add(layer);
      add(
          Step.of(
                  "openat2",
                  Sysno.OPENAT2,
                  of(Syscalls.AT_FDCWD, "AT_FDCWD"),
                  str(OLD + k[1]),
                  Arg.bytes(how, shownHow),
                  of(how.length))
              .into(layer));
      add(
          Step.of(
              "fsconfig",
              Sysno.FSCONFIG,
              Arg.result(fs),
              of(Syscalls.FSCONFIG_SET_FD, "FSCONFIG_SET_FD"),
              str(k[0]),
              str(null),
              Arg.result(layer)));
    }
    add(
        Step.of(
            "fsconfig",
            Sysno.FSCONFIG,
            Arg.result(fs),
            of(Syscalls.FSCONFIG_SET_FLAG, "FSCONFIG_SET_FLAG"),
            str("userxattr"),
            str(null),
            of(0)));
    add(
        Step.of(
            "fsconfig",
            Sysno.FSCONFIG,
            Arg.result(fs),
            of(Syscalls.FSCONFIG_CMD_CREATE, "FSCONFIG_CMD_CREATE"),
            str(null),
            str(null),
            of(0)));
    Slot mnt = new Slot("overlay" + n);
    add(
        Step.of(
                "fsmount",
                Sysno.FSMOUNT,
                Arg.result(fs),
                of(Syscalls.FSMOUNT_CLOEXEC, "FSMOUNT_CLOEXEC"),
                of(
                    MountAttr.MOUNT_ATTR_NOSUID | MountAttr.MOUNT_ATTR_NODEV,
                    "MOUNT_ATTR_NOSUID|MOUNT_ATTR_NODEV"))
            .into(mnt));
    for (Slot layer : layers) {
      add(Step.of("close", Sysno.CLOSE, Arg.result(layer)));
    }
    add(Step.of("close", Sysno.CLOSE, Arg.result(fs)));
    stage(Stage.MOUNTS);
    mkdir(NEW + o.target(), 0755);
    add(
        Step.of(
            "move_mount",
            Sysno.MOVE_MOUNT,
            Arg.result(mnt),
            str(""),
            of(Syscalls.AT_FDCWD, "AT_FDCWD"),
            str(NEW + o.target()),
            of(MOVE_MOUNT_F_EMPTY_PATH, "MOVE_MOUNT_F_EMPTY_PATH")));
    add(Step.of("close", Sysno.CLOSE, Arg.result(mnt)));
  }

  /**
   * Gives the sandbox's user namespace half of each of the user's {@link #SHARED_USER_LIMITS}
   * (never less than one), and no nested user namespace at all unless they are allowed: the
   * filter's check on {@code clone} then has the kernel's behind it, as bubblewrap's {@code
   * --disable-userns} does. The child may write them, holding {@code CAP_SYS_RESOURCE} over its own
   * namespace; once proc's {@code sys} is read-only nothing inside can raise them, and a count
   * charged inside is charged outside too, so half stays the user's. Only the limits the host
   * showed are written, since the same kernel has them inside, but for {@code max_user_namespaces}
   * when nested ones are not allowed: its 0 needs no value of the host's, and every kernel robojail
   * runs on has it (Linux 4.9), so a host whose file could not be read loses nothing.
   */
  private void shareUserLimits(String proc, boolean nestedUserNamespaces) {
    for (String name : SHARED_USER_LIMITS) {
      Long hosts = host.userLimits().get(name);
      boolean none = name.equals("max_user_namespaces") && !nestedUserNamespaces;
      if (hosts == null && !none) {
        continue;
      }
      long limit = none ? 0 : Math.max(1, hosts / 2);
      byte[] value = (limit + "\n").getBytes(StandardCharsets.US_ASCII);
      Slot fd = new Slot("fd" + slots++);
      add(
          openat(
                  proc + "/sys/user/" + name,
                  Syscalls.O_WRONLY | Syscalls.O_CLOEXEC,
                  "O_WRONLY|O_CLOEXEC")
              .into(fd));
      write(fd, value, "\"" + limit + "\\n\"");
      add(Step.of("close", Sysno.CLOSE, Arg.result(fd)));
    }
  }

  /**
   * Binds each write surface of the proc at {@code proc} over itself and makes it read-only, then
   * covers what it leaks: a file with the host's {@code /dev/null} (it reads as empty, and what is
   * written to it goes nowhere), a directory with an empty read-only tmpfs. The list is the same
   * for every kernel, so an entry this kernel lacks is skipped (ENOENT). The attributes are changed
   * with {@code mount_setattr}, which touches nothing but what it is given; a remount would also
   * reset flags the kernel locks.
   */
  private void protectProc(String proc) {
    long dirAttrs =
        MountAttr.MOUNT_ATTR_RDONLY
            | MountAttr.MOUNT_ATTR_NOSUID
            | MountAttr.MOUNT_ATTR_NODEV
            | MountAttr.MOUNT_ATTR_NOEXEC;
    for (String name : PROC_READ_ONLY) {
      String path = proc + "/" + name;
      add(
          Step.of(
                  "mount",
                  Sysno.MOUNT,
                  str(path),
                  str(path),
                  str(null),
                  flags(Flags.MS_BIND),
                  str(null))
              .tolerating(Errno.ENOENT));
      add(
          setattrStep(
                  path,
                  0,
                  dirAttrs,
                  "MOUNT_ATTR_RDONLY|MOUNT_ATTR_NOSUID|MOUNT_ATTR_NODEV|MOUNT_ATTR_NOEXEC")
              .tolerating(Errno.ENOENT));
    }
    for (String name : PROC_MASKED_FILES) {
      String path = proc + "/" + name;
      add(
          Step.of(
                  "mount",
                  Sysno.MOUNT,
                  str(OLD + "/dev/null"),
                  str(path),
                  str(null),
                  flags(Flags.MS_BIND),
                  str(null))
              .tolerating(Errno.ENOENT));
    }
    for (String name : PROC_MASKED_DIRS) {
      add(
          Step.of(
                  "mount",
                  Sysno.MOUNT,
                  str("tmpfs"),
                  str(proc + "/" + name),
                  str("tmpfs"),
                  flags(Flags.MS_RDONLY | NOSUID_NODEV | Flags.MS_NOEXEC),
                  str("mode=0555"))
              .tolerating(Errno.ENOENT));
    }
  }

  /**
   * Makes, in a tmpfs at {@value #STAGE}, the files that go over a bound directory's (which cannot
   * be written, and must not be: it is the host's) and the empty file and directory that covers
   * show, then makes that tmpfs read-only, so that every mount made from it is read-only too.
   *
   * @return where each such mount is staged
   */
  private Map<Mount, String> staging(List<Mount> mounts) {
    Map<Mount, String> staged = new IdentityHashMap<>();
    List<Mount> earlier = new ArrayList<>();
    for (Mount m : mounts) {
      if (m instanceof Mount.File f && innermost(earlier, f.target()) instanceof Mount.Bind) {
        staged.put(f, STAGE + "/" + staged.size());
      } else if (m instanceof Mount.Cover c) {
        staged.put(c, STAGE + (c.directory() ? "/empty-dir" : "/empty"));
      }
      earlier.add(m);
    }
    if (staged.isEmpty()) {
      return staged;
    }
    mkdir(STAGE, 0755);
    add(
        Step.of(
            "mount",
            Sysno.MOUNT,
            str("tmpfs"),
            str(STAGE),
            str("tmpfs"),
            flags(NOSUID_NODEV | Flags.MS_NOEXEC),
            str("mode=0755")));
    Set<String> done = new HashSet<>();
    for (Mount m : mounts) {
      String at = staged.get(m);
      if (at == null || !done.add(at)) {
        continue;
      }
      if (m instanceof Mount.File f) {
        file(at, f.content(), f.mode());
      } else if (m instanceof Mount.Cover c && c.directory()) {
        mkdir(at, 0555);
      } else {
        file(at, new byte[0], 0444);
      }
    }
    setattr(STAGE, 0, MountAttr.MOUNT_ATTR_RDONLY, "MOUNT_ATTR_RDONLY");
    return staged;
  }

  /** The last of these mounts whose target holds {@code path}, or null for the root's tmpfs. */
  private static Mount innermost(List<Mount> earlier, String path) {
    Mount found = null;
    int longest = -1;
    for (Mount m : earlier) {
      String t = m.target();
      boolean holds = path.startsWith(t + "/") || path.equals(t);
      boolean container =
          !(m instanceof Mount.File
              || m instanceof Mount.Symlink
              || m instanceof Mount.Cover
              || m instanceof Mount.Bind b && !b.directory());
      if (holds && container && t.length() >= longest) {
        found = m;
        longest = t.length();
      }
    }
    return found;
  }

  /** Mounts a staged file or directory (read-only, as its tmpfs is) over what is at target. */
  private void over(String staged, String target) {
    add(
        Step.of(
            "mount",
            Sysno.MOUNT,
            str(staged),
            str(NEW + target),
            str(null),
            flags(Flags.MS_BIND),
            str(null)));
  }

  private void dev(String target, long shmSize) {
    parents(target);
    String dev = NEW + target;
    mkdir(dev, 0755);
    add(
        Step.of(
            "mount",
            Sysno.MOUNT,
            str("tmpfs"),
            str(dev),
            str("tmpfs"),
            flags(Flags.MS_NOSUID | Flags.MS_NOEXEC),
            str("mode=0755")));
    for (String d : DEVICES) {
      touch(dev + "/" + d, 0666);
      add(
          Step.of(
              "mount",
              Sysno.MOUNT,
              str(OLD + "/dev/" + d),
              str(dev + "/" + d),
              str(null),
              flags(Flags.MS_BIND),
              str(null)));
    }
    mkdir(dev + "/pts", 0755);
    add(
        Step.of(
            "mount",
            Sysno.MOUNT,
            str("devpts"),
            str(dev + "/pts"),
            str("devpts"),
            flags(Flags.MS_NOSUID | Flags.MS_NOEXEC),
            str("newinstance,ptmxmode=0666,mode=620")));
    symlink("pts/ptmx", dev + "/ptmx");
    mkdir(dev + "/shm", 0755);
    add(
        Step.of(
            "mount",
            Sysno.MOUNT,
            str("tmpfs"),
            str(dev + "/shm"),
            str("tmpfs"),
            flags(NOSUID_NODEV),
            str("mode=01777" + (shmSize > 0 ? ",size=" + shmSize : ""))));
    symlink("/proc/self/fd", dev + "/fd");
    symlink("/proc/self/fd/0", dev + "/stdin");
    symlink("/proc/self/fd/1", dev + "/stdout");
    symlink("/proc/self/fd/2", dev + "/stderr");
    // Nothing may be added to /dev later; its own mounts (pts, shm) keep their modes.
    setattr(dev, 0, MountAttr.MOUNT_ATTR_RDONLY, "MOUNT_ATTR_RDONLY");
  }

  private void loopbackUp() {
    byte[] ifreq = IfReq.flags("lo", IfReq.IFF_UP);
    Slot sock = new Slot("sock");
    add(
        Step.of(
                "socket",
                Sysno.SOCKET,
                of(2, "AF_INET"),
                of(2 | Syscalls.O_CLOEXEC, "SOCK_DGRAM|SOCK_CLOEXEC"),
                of(0))
            .into(sock));
    add(
        Step.of(
            "ioctl",
            Sysno.IOCTL,
            Arg.result(sock),
            of(IfReq.SIOCSIFFLAGS, "SIOCSIFFLAGS"),
            Arg.bytes(ifreq, "{ifr_name=\"lo\", ifr_flags=IFF_UP}")));
    add(Step.of("close", Sysno.CLOSE, Arg.result(sock)));
  }

  /**
   * A listening socket (the egress proxy's, or a host port's), made here in the sandbox's own
   * network namespace (where it stays, wherever its descriptor goes) and sent to the parent over
   * {@code handover} ({@code SCM_RIGHTS}): a process outside can accept connections on it without
   * ever entering the namespace, which an unprivileged JVM could not do.
   */
  private void listener(int handover, byte[] ip, String shown, int port) {
    Slot listener = new Slot("listener");
    tcpSocket(listener);
    byte[] one = {1, 0, 0, 0};
    add(
        Step.of(
            "setsockopt",
            Sysno.SETSOCKOPT,
            Arg.result(listener),
            of(SockAddrIn.SOL_SOCKET, "SOL_SOCKET"),
            of(SockAddrIn.SO_REUSEADDR, "SO_REUSEADDR"),
            Arg.bytes(one, "[1]"),
            of(one.length)));
    byte[] address = SockAddrIn.bytes(ip, port);
    add(
        Step.of(
            "bind",
            Sysno.BIND,
            Arg.result(listener),
            Arg.bytes(address, "{AF_INET, " + shown + ":" + port + "}"),
            of(address.length)));
    add(Step.of("listen", Sysno.LISTEN, Arg.result(listener), of(LISTEN_BACKLOG)));
    sendDescriptor(handover, "handover", listener);
    add(Step.of("close", Sysno.CLOSE, Arg.result(listener)));
  }

  /** Joins the namespaces {@code flags} of the process {@code pidfd} is a pidfd of, at once. */
  private void setns(int pidfd, long flags) {
    add(
        Step.of(
            "setns",
            Sysno.SETNS,
            of(pidfd, "pidfd(sandbox's PID 1)"),
            of(flags, Flags.clone(flags))));
  }

  /** A TCP socket, made in the network namespace the child is in now. */
  private void tcpSocket(Slot into) {
    add(
        Step.of(
                "socket",
                Sysno.SOCKET,
                of(SockAddrIn.AF_INET, "AF_INET"),
                of(SockAddrIn.SOCK_STREAM | SockAddrIn.SOCK_CLOEXEC, "SOCK_STREAM|SOCK_CLOEXEC"),
                of(0))
            .into(into));
  }

  /**
   * Sends the descriptor in {@code slot} to the parent over {@code handover} ({@code SCM_RIGHTS}).
   */
  private void sendDescriptor(int handover, String name, Slot slot) {
    add(
        Step.of("sendmsg", Sysno.SENDMSG, of(handover, name), Arg.descriptorMessage(slot), of(0))
            .expecting(1));
  }

  private void stdio(Stdio stream, int fd, Slot terminal, int target, String name) {
    if (stream instanceof Stdio.Terminal) {
      add(Step.of("dup3", Sysno.DUP3, Arg.result(terminal), of(target), of(0)));
    } else if (fd >= 0) {
      add(Step.of("dup3", Sysno.DUP3, of(fd, name), of(target), of(0)));
    }
  }

  /**
   * For a sandbox with a terminal of its own: opens the master side from the sandbox's own {@code
   * devpts} (its instance, not the host's: inside, the terminal is {@code /dev/pts/N}), unlocks it,
   * sets its size, and opens the slave from the master ({@code TIOCGPTPEER}, no path to race on).
   *
   * @return where the slave is, or null when no stream is such a terminal
   */
  private Slot ownTerminal(Sandbox s) {
    Sandbox.Streams streams = s.streams();
    Stdio.Terminal size = null;
    for (Stdio stream : List.of(streams.stdin(), streams.stdout(), streams.stderr())) {
      if (stream instanceof Stdio.Terminal t && size == null) {
        size = t;
      }
    }
    if (size == null) {
      return null;
    }
    String dev = null;
    for (Mount m : s.mounts()) {
      if (m instanceof Mount.Dev d) {
        dev = d.target();
      }
    }
    if (dev == null) {
      throw new SandboxException.InvalidSpec(
          "a terminal of the sandbox's own comes from its /dev: mount one with dev(\"/dev\")");
    }
    Slot master = new Slot("ptmx");
    Slot slave = new Slot("pts");
    add(
        Step.of(
                "openat",
                Sysno.OPENAT,
                of(Syscalls.AT_FDCWD, "AT_FDCWD"),
                str(dev + "/pts/ptmx"),
                of(
                    Syscalls.O_RDWR | Syscalls.O_NOCTTY | Syscalls.O_CLOEXEC,
                    "O_RDWR|O_NOCTTY|O_CLOEXEC"))
            .into(master));
    add(
        Step.of(
            "ioctl",
            Sysno.IOCTL,
            Arg.result(master),
            of(Pty.TIOCSPTLCK, "TIOCSPTLCK"),
            Arg.bytes(new byte[4], "[0]")));
    if (size.rows() > 0 && size.columns() > 0) {
      add(
          Step.of(
              "ioctl",
              Sysno.IOCTL,
              Arg.result(master),
              of(Pty.TIOCSWINSZ, "TIOCSWINSZ"),
              Arg.bytes(
                  Pty.winsize(size.rows(), size.columns()),
                  "{" + size.rows() + " rows, " + size.columns() + " columns}")));
    }
    add(
        Step.of(
                "ioctl",
                Sysno.IOCTL,
                Arg.result(master),
                of(Pty.TIOCGPTPEER, "TIOCGPTPEER"),
                of(
                    Syscalls.O_RDWR | Syscalls.O_NOCTTY | Syscalls.O_CLOEXEC,
                    "O_RDWR|O_NOCTTY|O_CLOEXEC"))
            .into(slave));
    terminalMaster = master;
    return slave;
  }

  /**
   * Makes the terminal the controlling one of the session (made in the process stage) and sends the
   * master side to the parent; the child keeps no copy of it, so only the parent's relay can read
   * what is typed and shown.
   */
  private void handTerminalOver(Slot slave, int handover) {
    if (handover < 0) {
      throw new IllegalArgumentException("a terminal of its own needs the handover socket");
    }
    add(Step.of("ioctl", Sysno.IOCTL, Arg.result(slave), of(TIOCSCTTY, "TIOCSCTTY"), of(0)));
    sendDescriptor(handover, "terminal handover", terminalMaster);
    add(Step.of("close", Sysno.CLOSE, Arg.result(terminalMaster)));
    add(Step.of("close", Sysno.CLOSE, Arg.result(slave)));
    add(Step.of("close", Sysno.CLOSE, of(handover, "terminal handover")));
  }

  private void exec(Sandbox s) {
    String cmd = s.command().getFirst();
    Map<String, String> variables = s.environment().variables();
    List<String> env = new ArrayList<>();
    for (Map.Entry<String, String> e : variables.entrySet()) {
      env.add(e.getKey() + "=" + e.getValue());
    }
    List<String> candidates = new ArrayList<>();
    if (cmd.contains("/")) {
      candidates.add(cmd);
    } else {
      String path = variables.getOrDefault("PATH", Sandbox.DEFAULT_PATH);
      for (String dir : path.split(":")) {
        if (dir.startsWith("/")) {
          candidates.add((dir.endsWith("/") ? dir : dir + "/") + cmd);
        }
      }
      if (candidates.isEmpty()) {
        throw new SandboxException.InvalidSpec(
            "cannot look up " + cmd + ": PATH has no absolute directory: " + path);
      }
    }
    if (s.lifecycle().init() && s.namespaces().contains(Namespace.PID) && host.initFd() >= 0) {
      execInit(s, host.initFd(), candidates, env);
      return;
    }
    lookup(candidates);
    stage(Stage.EXEC);
    for (int i = 0; i < candidates.size(); i++) {
      Step step =
          Step.of(
              "execve",
              Sysno.EXECVE,
              str(candidates.get(i)),
              Arg.strings(s.command()),
              Arg.strings(env));
      // Like execvp: a missing candidate means "try the next PATH entry".
      add(
          i < candidates.size() - 1
              ? step.tolerating(Errno.ENOENT, Errno.EACCES, Errno.ENOTDIR)
              : step);
    }
  }

  /**
   * Ends the program by exec'ing robojail-init (from its sealed memfd, which the child inherited
   * from the JVM) with {@code robojail-init CANDIDATE... -- ARGV...}; the init forks and its child
   * tries the candidates in order, as the plain plan's execve steps would.
   *
   * <p>The command is {@link #lookup looked up} first.
   */
  private void execInit(Sandbox s, int memfd, List<String> candidates, List<String> env) {
    lookup(candidates);
    stage(Stage.INIT);
    List<String> argv = new ArrayList<>();
    argv.add(InitBinary.ARGV0);
    argv.addAll(candidates);
    argv.add(InitBinary.SEPARATOR);
    argv.addAll(s.command());
    add(
        Step.of(
            "execveat",
            Sysno.EXECVEAT,
            of(memfd, "fd(robojail-init)"),
            str(""),
            Arg.strings(argv),
            Arg.strings(env),
            of(Syscalls.AT_EMPTY_PATH, "AT_EMPTY_PATH")));
  }

  /**
   * Checks the command's candidates before anything is exec'd, so that a command that cannot run is
   * reported as such: once the init runs, a missing command would only show as exit status 127, and
   * a plain execve along PATH forgets why an earlier candidate failed. Each candidate is opened
   * ({@code O_PATH}) into one slot, the last first, so that the first one found is the one left
   * there. A descriptor opened and closed beforehand leaves the slot holding a closed number when
   * none is found; the final {@code faccessat2} then fails with EBADF, reported as "command not
   * found", or with EACCES when the file found may not be executed (no execute bit, a noexec
   * mount), reported as "cannot execute". Unlike execvp, the first file of that name along PATH is
   * the command: one that cannot be executed is reported, not skipped for a later one.
   */
  private void lookup(List<String> candidates) {
    stage(Stage.LOOKUP);
    Slot found = new Slot("found command");
    add(openat("/", Syscalls.O_PATH | Syscalls.O_CLOEXEC, "O_PATH|O_CLOEXEC").into(found));
    add(Step.of("close", Sysno.CLOSE, Arg.result(found)));
    for (String c : candidates.reversed()) {
      add(
          openat(c, Syscalls.O_PATH | Syscalls.O_CLOEXEC, "O_PATH|O_CLOEXEC")
              .tolerating(Errno.ENOENT, Errno.EACCES, Errno.ENOTDIR)
              .into(found));
    }
    add(
        Step.of(
            "faccessat2",
            Sysno.FACCESSAT2,
            Arg.result(found),
            str(""),
            of(Syscalls.X_OK, "X_OK"),
            of(Syscalls.AT_EMPTY_PATH | Syscalls.AT_EACCESS, "AT_EMPTY_PATH|AT_EACCESS")));
  }

  private void parents(String target) {
    String parent = parentOf(target);
    if (parent == null || made.contains(parent)) {
      return;
    }
    parents(parent);
    mkdir(NEW + parent, 0755);
  }

  private void mkdir(String path, int mode) {
    if (path.startsWith(NEW)) {
      String inside = path.equals(NEW) ? "/" : path.substring(NEW.length());
      if (!made.add(inside)) {
        return;
      }
    }
    add(
        Step.of(
                "mkdirat",
                Sysno.MKDIRAT,
                of(Syscalls.AT_FDCWD, "AT_FDCWD"),
                str(path),
                of(mode, "0" + Integer.toOctalString(mode)))
            .tolerating(Errno.EEXIST));
  }

  /**
   * An empty file to mount a file on (a mount point must exist and be of the same kind). Opened for
   * reading: the point may be an existing file inside a read-only bind (a hidden file covered
   * there), and a symbolic link there is refused rather than followed.
   */
  private void touch(String path, int mode) {
    Slot fd = new Slot("fd" + slots++);
    String octal = "0" + Integer.toOctalString(mode);
    add(
        Step.of(
                "openat",
                Sysno.OPENAT,
                of(Syscalls.AT_FDCWD, "AT_FDCWD"),
                str(path),
                of(
                    Syscalls.O_RDONLY | Syscalls.O_CREAT | Syscalls.O_NOFOLLOW | Syscalls.O_CLOEXEC,
                    "O_RDONLY|O_CREAT|O_NOFOLLOW|O_CLOEXEC"),
                of(mode, octal))
            .into(fd));
    add(Step.of("close", Sysno.CLOSE, Arg.result(fd)));
  }

  private void prctl(Arg... args) {
    add(Step.of("prctl", Sysno.PRCTL, args));
  }

  private void symlink(String linkTarget, String at) {
    add(
        Step.of(
            "symlinkat",
            Sysno.SYMLINKAT,
            str(linkTarget),
            of(Syscalls.AT_FDCWD, "AT_FDCWD"),
            str(at)));
  }

  private void file(String path, byte[] content, int mode) {
    Slot fd = new Slot("fd" + slots++);
    add(
        Step.of(
                "openat",
                Sysno.OPENAT,
                of(Syscalls.AT_FDCWD, "AT_FDCWD"),
                str(path),
                of(
                    Syscalls.O_WRONLY | Syscalls.O_CREAT | Syscalls.O_EXCL | Syscalls.O_CLOEXEC,
                    "O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC"),
                of(mode, "0" + Integer.toOctalString(mode)))
            .into(fd));
    if (content.length > 0) {
      write(fd, content, content.length + " bytes");
    }
    add(Step.of("close", Sysno.CLOSE, Arg.result(fd)));
  }

  /** {@code openat(AT_FDCWD, path, flags)}, for a call that creates nothing. */
  private static Step openat(String path, int flags, String shownFlags) {
    return Step.of(
        "openat",
        Sysno.OPENAT,
        of(Syscalls.AT_FDCWD, "AT_FDCWD"),
        str(path),
        of(flags, shownFlags));
  }

  /** One write of all of {@code content}: a short one fails the step. */
  private void write(Slot fd, byte[] content, String shown) {
    add(
        Step.of("write", Sysno.WRITE, Arg.result(fd), Arg.bytes(content, shown), of(content.length))
            .expecting(content.length));
  }

  private void setattr(String path, int flags, long set, String shown) {
    add(setattrStep(path, flags, set, shown));
  }

  private static Step setattrStep(String path, int flags, long set, String shown) {
    byte[] attr = new MountAttr(set, 0).bytes();
    return Step.of(
        "mount_setattr",
        Sysno.MOUNT_SETATTR,
        of(Syscalls.AT_FDCWD, "AT_FDCWD"),
        str(path),
        of(flags, flags == 0 ? "0" : "AT_RECURSIVE"),
        Arg.bytes(attr, "{attr_set=" + shown + "}"),
        of(attr.length));
  }

  private static Arg flags(long mountFlags) {
    return of(mountFlags, Flags.mount(mountFlags));
  }

  /** Tags the steps added from now on. */
  private void stage(Stage stage) {
    this.stage = stage;
  }

  private void add(Step step) {
    steps.add(step.in(stage.label()));
  }

  static String parentOf(String path) {
    if (path.equals("/")) {
      return null;
    }
    int i = path.lastIndexOf('/');
    return i == 0 ? "/" : path.substring(0, i);
  }
}
