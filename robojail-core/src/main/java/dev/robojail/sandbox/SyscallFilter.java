package dev.robojail.sandbox;

import static dev.robojail.ffm.Seccomp.Insn.jeq;
import static dev.robojail.ffm.Seccomp.Insn.jge;
import static dev.robojail.ffm.Seccomp.Insn.jset;
import static dev.robojail.ffm.Seccomp.Insn.load;
import static dev.robojail.ffm.Seccomp.Insn.ret;

import dev.robojail.ffm.Errno;
import dev.robojail.ffm.Seccomp;
import dev.robojail.ffm.Seccomp.Insn;
import dev.robojail.ffm.Syscalls;
import dev.robojail.ffm.Sysno;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sandbox's default seccomp filter (x86-64). It kills a process that makes a system call with
 * another architecture's numbering (a classic filter bypass), refuses x32 calls, refuses calls that
 * widen the kernel surface or reach other processes' memory, and refuses terminal input injection.
 * Everything else is allowed: this is a deny list over a namespace sandbox, not the sandbox itself.
 */
public final class SyscallFilter {
  /** Refused with EPERM unless an option allows them; the names are for messages and docs. */
  static final Map<Integer, String> DENIED;

  static {
    Map<Integer, String> d = new LinkedHashMap<>();
    d.put(Sysno.PROCESS_VM_READV, "process_vm_readv");
    d.put(Sysno.PROCESS_VM_WRITEV, "process_vm_writev");
    d.put(Sysno.BPF, "bpf");
    d.put(Sysno.PERF_EVENT_OPEN, "perf_event_open");
    d.put(Sysno.USERFAULTFD, "userfaultfd");
    d.put(Sysno.KEYCTL, "keyctl");
    d.put(Sysno.ADD_KEY, "add_key");
    d.put(Sysno.REQUEST_KEY, "request_key");
    d.put(Sysno.KEXEC_LOAD, "kexec_load");
    d.put(Sysno.KEXEC_FILE_LOAD, "kexec_file_load");
    d.put(Sysno.NAME_TO_HANDLE_AT, "name_to_handle_at");
    d.put(Sysno.OPEN_BY_HANDLE_AT, "open_by_handle_at");
    d.put(Sysno.IO_URING_SETUP, "io_uring_setup");
    d.put(Sysno.IO_URING_ENTER, "io_uring_enter");
    d.put(Sysno.IO_URING_REGISTER, "io_uring_register");
    // The mount table was built before exec; nothing inside may change it, even as root.
    d.put(Sysno.MOUNT, "mount");
    d.put(Sysno.UMOUNT2, "umount2");
    d.put(Sysno.PIVOT_ROOT, "pivot_root");
    d.put(Sysno.OPEN_TREE, "open_tree");
    // open_tree with attributes (Linux 6.15): a non-recursive clone of a bind shows what the
    // covers over its entries hide, to a command that keeps its capabilities inside.
    d.put(Sysno.OPEN_TREE_ATTR, "open_tree_attr");
    d.put(Sysno.MOVE_MOUNT, "move_mount");
    d.put(Sysno.FSOPEN, "fsopen");
    d.put(Sysno.FSCONFIG, "fsconfig");
    d.put(Sysno.FSMOUNT, "fsmount");
    d.put(Sysno.FSPICK, "fspick");
    d.put(Sysno.MOUNT_SETATTR, "mount_setattr");
    d.put(Sysno.SETNS, "setns");
    d.put(Sysno.INIT_MODULE, "init_module");
    d.put(Sysno.FINIT_MODULE, "finit_module");
    d.put(Sysno.DELETE_MODULE, "delete_module");
    d.put(Sysno.REBOOT, "reboot");
    d.put(Sysno.SWAPON, "swapon");
    d.put(Sysno.SWAPOFF, "swapoff");
    d.put(Sysno.SYSLOG, "syslog");
    d.put(Sysno.ACCT, "acct");
    d.put(Sysno.QUOTACTL, "quotactl");
    d.put(Sysno.USELIB, "uselib");
    d.put(Sysno.LOOKUP_DCOOKIE, "lookup_dcookie");
    d.put(Sysno.VHANGUP, "vhangup");
    DENIED = Map.copyOf(d);
  }

  /**
   * Refused with EPERM unless ptrace is allowed: each reaches into another process of the jail as
   * tracing would (takes its descriptors, compares its kernel objects, advises or reaps its
   * memory).
   */
  static final Map<Integer, String> PTRACE_LIKE =
      Map.of(
          Sysno.PTRACE, "ptrace",
          Sysno.PIDFD_GETFD, "pidfd_getfd",
          Sysno.KCMP, "kcmp",
          Sysno.PROCESS_MADVISE, "process_madvise",
          Sysno.PROCESS_MRELEASE, "process_mrelease");

  /**
   * The calls that set a mode on an existing file, with the index of their mode argument. A setuid
   * or setgid bit set inside would be obeyed on the host, where the worktree is not mounted nosuid.
   */
  static final Map<Integer, Integer> MODE_SETTERS =
      Map.of(
          Sysno.CHMOD, 1,
          Sysno.FCHMOD, 1,
          Sysno.FCHMODAT, 2,
          Sysno.FCHMODAT2, 2,
          Sysno.CREAT, 1,
          Sysno.MKNOD, 1,
          Sysno.MKNODAT, 2);

  /**
   * The calls that create a file with a mode when their flags ask to: {nr, flags arg, mode arg}.
   */
  static final List<int[]> CREATING_OPENS =
      List.of(new int[] {Sysno.OPEN, 1, 2}, new int[] {Sysno.OPENAT, 2, 3});

  /** The calls that set extended attributes, file capabilities among them. */
  static final List<Integer> XATTR_SETTERS =
      List.of(Sysno.SETXATTR, Sysno.LSETXATTR, Sysno.FSETXATTR, Sysno.SETXATTRAT);

  /**
   * The highest system call number this filter was reviewed against (Linux 6.17's {@code
   * file_setattr}). A call a later kernel adds is refused with ENOSYS, what a kernel without it
   * says, until it is reviewed: a deny list must not let new ways around it in by default, as
   * {@code open_tree_attr} came in beside the {@code open_tree} it denied.
   */
  static final int LAST_REVIEWED = Sysno.FILE_SETATTR;

  static final int S_ISUID = 04000;
  static final int S_ISGID = 02000;
  // O_TMPFILE is __O_TMPFILE | O_DIRECTORY; the one bit tells it from a plain O_DIRECTORY.
  static final int O_TMPFILE_BIT = 020000000;

  static final int TIOCSTI = 0x5412;
  static final int TIOCLINUX = 0x541c;
  static final int AF_UNIX = 1;
  static final int AF_INET = 2;
  static final int AF_INET6 = 10;
  static final int AF_NETLINK = 16;

  private SyscallFilter() {}

  /**
   * The filter for these options.
   *
   * @param allowPtrace whether processes may trace each other (debuggers, strace)
   * @param allowUserNamespaces whether nested user namespaces may be created
   */
  public static List<Insn> program(boolean allowPtrace, boolean allowUserNamespaces) {
    return program(allowPtrace, allowUserNamespaces, false);
  }

  /**
   * The filter for these options.
   *
   * @param allowPtrace whether processes may trace each other (debuggers, strace)
   * @param allowUserNamespaces whether nested user namespaces may be created
   * @param capabilitiesKept whether the command keeps capabilities inside (root inside), and so
   *     could write file capabilities
   */
  public static List<Insn> program(
      boolean allowPtrace, boolean allowUserNamespaces, boolean capabilitiesKept) {
    int eperm = Seccomp.RET_ERRNO | Errno.EPERM;
    List<Insn> p = new ArrayList<>();
    p.add(load(Seccomp.OFFSET_ARCH));
    p.add(jeq(Seccomp.AUDIT_ARCH_X86_64, 1, 0));
    p.add(ret(Seccomp.RET_KILL_PROCESS));
    p.add(load(Seccomp.OFFSET_NR));
    p.add(jge(Seccomp.X32_SYSCALL_BIT, 0, 1));
    p.add(ret(eperm));
    p.add(jge(LAST_REVIEWED + 1, 0, 1));
    p.add(ret(Seccomp.RET_ERRNO | Errno.ENOSYS));
    List<Integer> denied = new ArrayList<>(DENIED.keySet());
    if (!allowPtrace) {
      denied.addAll(PTRACE_LIKE.keySet());
    }
    denied.sort(null);
    for (int nr : denied) {
      p.add(jeq(nr, 0, 1));
      p.add(ret(eperm));
    }
    // ioctl: the command is an int in the kernel, so only the low 32 bits count (the
    // high-bit TIOCSTI variant of CVE-2019-10063 is the same command).
    p.add(jeq(Sysno.IOCTL, 0, 5));
    p.add(load(Seccomp.argLow(1)));
    p.add(jeq(TIOCSTI, 2, 0));
    p.add(jeq(TIOCLINUX, 1, 0));
    p.add(ret(Seccomp.RET_ALLOW));
    p.add(ret(eperm));
    if (!allowUserNamespaces) {
      int newUser = (int) Syscalls.CLONE_NEWUSER;
      for (int nr : List.of(Sysno.CLONE, Sysno.UNSHARE)) {
        p.add(jeq(nr, 0, 4));
        p.add(load(Seccomp.argLow(0)));
        p.add(jset(newUser, 1, 0));
        p.add(ret(Seccomp.RET_ALLOW));
        p.add(ret(eperm));
      }
      // clone3's flags are behind a pointer a filter cannot follow: ENOSYS makes the C
      // library fall back to clone, whose flags it can check.
      p.add(jeq(Sysno.CLONE3, 0, 1));
      p.add(ret(Seccomp.RET_ERRNO | Errno.ENOSYS));
    }
    noSetuidFiles(p, capabilitiesKept);
    // The network namespace, not the filter, decides where sockets reach (the sandbox's own
    // loopback, or the host's network when shared); the filter keeps the socket families to the
    // four that programs use, away from raw packets, vsock to the hypervisor and the rest.
    p.add(jeq(Sysno.SOCKET, 0, 7));
    p.add(load(Seccomp.argLow(0)));
    p.add(jeq(AF_UNIX, 3, 0));
    p.add(jeq(AF_INET, 2, 0));
    p.add(jeq(AF_INET6, 1, 0));
    p.add(jeq(AF_NETLINK, 0, 1));
    p.add(ret(Seccomp.RET_ALLOW));
    p.add(ret(Seccomp.RET_ERRNO | Errno.EAFNOSUPPORT));
    p.add(ret(Seccomp.RET_ALLOW));
    return List.copyOf(p);
  }

  /**
   * No setuid or setgid bit can be set inside: a file planted with one would run as the jail's
   * owner on the host (root, when robojail runs as root) for anyone who can reach it. Every call
   * that sets a mode is refused with EPERM when the mode has either bit, and so is every open that
   * creates ({@code O_CREAT}, {@code O_TMPFILE}) with one. {@code openat2} carries its flags and
   * mode in a struct the filter cannot read, so it answers ENOSYS, the answer of kernels older than
   * 5.6, on which callers fall back to {@code openat}. {@code mkdir} is left alone: a setgid
   * directory only passes its group on, and Linux ignores setuid on directories.
   *
   * <p>File capabilities are the same threat: they need {@code CAP_SETFCAP}, which only a command
   * that keeps its capabilities has, so then every extended attribute write is refused with
   * EOPNOTSUPP, what a file system without them says.
   */
  private static void noSetuidFiles(List<Insn> p, boolean capabilitiesKept) {
    int eperm = Seccomp.RET_ERRNO | Errno.EPERM;
    int bits = S_ISUID | S_ISGID;
    // A plain sort: Map.Entry.comparingByKey() is a lambda of the JDK's that the AOT cache does not
    // keep, spun on every start.
    List<Integer> setters = new ArrayList<>(MODE_SETTERS.keySet());
    setters.sort(null);
    for (int nr : setters) {
      p.add(jeq(nr, 0, 4));
      p.add(load(Seccomp.argLow(MODE_SETTERS.get(nr))));
      p.add(jset(bits, 1, 0));
      p.add(ret(Seccomp.RET_ALLOW));
      p.add(ret(eperm));
    }
    for (int[] open : CREATING_OPENS) {
      p.add(jeq(open[0], 0, 6));
      p.add(load(Seccomp.argLow(open[1])));
      p.add(jset(Syscalls.O_CREAT | O_TMPFILE_BIT, 0, 2));
      p.add(load(Seccomp.argLow(open[2])));
      p.add(jset(bits, 1, 0));
      p.add(ret(Seccomp.RET_ALLOW));
      p.add(ret(eperm));
    }
    p.add(jeq(Sysno.OPENAT2, 0, 1));
    p.add(ret(Seccomp.RET_ERRNO | Errno.ENOSYS));
    if (capabilitiesKept) {
      for (int nr : XATTR_SETTERS) {
        p.add(jeq(nr, 0, 1));
        p.add(ret(Seccomp.RET_ERRNO | Errno.EOPNOTSUPP));
      }
    }
  }
}
