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
    d.put(310, "process_vm_readv");
    d.put(311, "process_vm_writev");
    d.put(321, "bpf");
    d.put(298, "perf_event_open");
    d.put(323, "userfaultfd");
    d.put(250, "keyctl");
    d.put(248, "add_key");
    d.put(249, "request_key");
    d.put(246, "kexec_load");
    d.put(320, "kexec_file_load");
    d.put(303, "name_to_handle_at");
    d.put(304, "open_by_handle_at");
    d.put(425, "io_uring_setup");
    d.put(426, "io_uring_enter");
    d.put(427, "io_uring_register");
    // The mount table was built before exec; nothing inside may change it, even as root.
    d.put(165, "mount");
    d.put(166, "umount2");
    d.put(155, "pivot_root");
    d.put(428, "open_tree");
    d.put(429, "move_mount");
    d.put(430, "fsopen");
    d.put(431, "fsconfig");
    d.put(432, "fsmount");
    d.put(433, "fspick");
    d.put(442, "mount_setattr");
    d.put(308, "setns");
    d.put(175, "init_module");
    d.put(313, "finit_module");
    d.put(176, "delete_module");
    d.put(169, "reboot");
    d.put(167, "swapon");
    d.put(168, "swapoff");
    d.put(103, "syslog");
    d.put(163, "acct");
    d.put(179, "quotactl");
    d.put(134, "uselib");
    d.put(212, "lookup_dcookie");
    d.put(153, "vhangup");
    DENIED = Map.copyOf(d);
  }

  static final int PTRACE = 101;
  static final int IOCTL = 16;
  static final int CLONE = 56;
  static final int CLONE3 = 435;
  static final int UNSHARE = 272;
  static final int SOCKET = 41;
  static final int TIOCSTI = 0x5412;
  static final int TIOCLINUX = 0x541c;
  static final int AF_UNIX = 1;
  static final int EAFNOSUPPORT = 97;

  private SyscallFilter() {}

  /**
   * The filter for these options.
   *
   * @param allowPtrace whether processes may trace each other (debuggers, strace)
   * @param allowUserNamespaces whether nested user namespaces may be created
   * @param unixSocketsOnly whether sockets other than AF_UNIX are refused (no network)
   */
  public static List<Insn> program(
      boolean allowPtrace, boolean allowUserNamespaces, boolean unixSocketsOnly) {
    int eperm = Seccomp.RET_ERRNO | Errno.EPERM;
    List<Insn> p = new ArrayList<>();
    p.add(load(Seccomp.OFFSET_ARCH));
    p.add(jeq(Seccomp.AUDIT_ARCH_X86_64, 1, 0));
    p.add(ret(Seccomp.RET_KILL_PROCESS));
    p.add(load(Seccomp.OFFSET_NR));
    p.add(jge(Seccomp.X32_SYSCALL_BIT, 0, 1));
    p.add(ret(eperm));
    List<Integer> denied = new ArrayList<>(DENIED.keySet());
    if (!allowPtrace) {
      denied.add(PTRACE);
    }
    denied.sort(null);
    for (int nr : denied) {
      p.add(jeq(nr, 0, 1));
      p.add(ret(eperm));
    }
    // ioctl: the command is an int in the kernel, so only the low 32 bits count (the
    // high-bit TIOCSTI variant of CVE-2019-10063 is the same command).
    p.add(jeq(IOCTL, 0, 5));
    p.add(load(Seccomp.argLow(1)));
    p.add(jeq(TIOCSTI, 2, 0));
    p.add(jeq(TIOCLINUX, 1, 0));
    p.add(ret(Seccomp.RET_ALLOW));
    p.add(ret(eperm));
    if (!allowUserNamespaces) {
      int newUser = (int) Syscalls.CLONE_NEWUSER;
      for (int nr : List.of(CLONE, UNSHARE)) {
        p.add(jeq(nr, 0, 4));
        p.add(load(Seccomp.argLow(0)));
        p.add(jset(newUser, 1, 0));
        p.add(ret(Seccomp.RET_ALLOW));
        p.add(ret(eperm));
      }
      // clone3's flags are behind a pointer a filter cannot follow: ENOSYS makes the C
      // library fall back to clone, whose flags it can check.
      p.add(jeq(CLONE3, 0, 1));
      p.add(ret(Seccomp.RET_ERRNO | Errno.ENOSYS));
    }
    if (unixSocketsOnly) {
      p.add(jeq(SOCKET, 0, 4));
      p.add(load(Seccomp.argLow(0)));
      p.add(jeq(AF_UNIX, 0, 1));
      p.add(ret(Seccomp.RET_ALLOW));
      p.add(ret(Seccomp.RET_ERRNO | EAFNOSUPPORT));
    }
    p.add(ret(Seccomp.RET_ALLOW));
    return List.copyOf(p);
  }
}
