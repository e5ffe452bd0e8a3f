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
      denied.add(Sysno.PTRACE);
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
}
