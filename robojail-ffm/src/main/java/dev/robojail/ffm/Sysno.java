package dev.robojail.ffm;

/**
 * System call numbers for x86-64 Linux ({@code arch/x86/entry/syscalls/syscall_64.tbl}): the one
 * table robojail uses, for its own calls, the child's setup program and the seccomp filter alike.
 * Sorted by number.
 */
public final class Sysno {
  public static final int READ = 0;
  public static final int WRITE = 1;
  public static final int CLOSE = 3;
  public static final int POLL = 7;
  public static final int MMAP = 9;
  public static final int MPROTECT = 10;
  public static final int MUNMAP = 11;
  public static final int RT_SIGPROCMASK = 14;
  public static final int IOCTL = 16;
  public static final int GETPID = 39;
  public static final int SOCKET = 41;
  public static final int CLONE = 56;
  public static final int EXECVE = 59;
  public static final int EXIT = 60;
  public static final int WAIT4 = 61;
  public static final int KILL = 62;
  public static final int FCNTL = 72;
  public static final int CHDIR = 80;
  public static final int FCHDIR = 81;
  public static final int MKDIR = 83;
  public static final int SYMLINK = 88;
  public static final int UMASK = 95;
  public static final int PTRACE = 101;
  public static final int GETUID = 102;
  public static final int SYSLOG = 103;
  public static final int GETGID = 104;
  public static final int SETUID = 105;
  public static final int SETGID = 106;
  public static final int GETEUID = 107;
  public static final int GETEGID = 108;
  public static final int GETPPID = 110;
  public static final int SETSID = 112;
  public static final int SETGROUPS = 116;
  public static final int SETRESUID = 117;
  public static final int SETRESGID = 119;
  public static final int CAPGET = 125;
  public static final int CAPSET = 126;
  public static final int USELIB = 134;
  public static final int VHANGUP = 153;
  public static final int PIVOT_ROOT = 155;
  public static final int PRCTL = 157;
  public static final int SETRLIMIT = 160;
  public static final int CHROOT = 161;
  public static final int ACCT = 163;
  public static final int MOUNT = 165;
  public static final int UMOUNT2 = 166;
  public static final int SWAPON = 167;
  public static final int SWAPOFF = 168;
  public static final int REBOOT = 169;
  public static final int SETHOSTNAME = 170;
  public static final int INIT_MODULE = 175;
  public static final int DELETE_MODULE = 176;
  public static final int QUOTACTL = 179;
  public static final int LOOKUP_DCOOKIE = 212;
  public static final int EXIT_GROUP = 231;
  public static final int KEXEC_LOAD = 246;
  public static final int WAITID = 247;
  public static final int ADD_KEY = 248;
  public static final int REQUEST_KEY = 249;
  public static final int KEYCTL = 250;
  public static final int OPENAT = 257;
  public static final int MKDIRAT = 258;
  public static final int SYMLINKAT = 266;
  public static final int UNSHARE = 272;
  public static final int DUP3 = 292;
  public static final int PIPE2 = 293;
  public static final int PERF_EVENT_OPEN = 298;
  public static final int PRLIMIT64 = 302;
  public static final int NAME_TO_HANDLE_AT = 303;
  public static final int OPEN_BY_HANDLE_AT = 304;
  public static final int SETNS = 308;
  public static final int PROCESS_VM_READV = 310;
  public static final int PROCESS_VM_WRITEV = 311;
  public static final int FINIT_MODULE = 313;
  public static final int SECCOMP = 317;
  public static final int MEMFD_CREATE = 319;
  public static final int KEXEC_FILE_LOAD = 320;
  public static final int BPF = 321;
  public static final int EXECVEAT = 322;
  public static final int USERFAULTFD = 323;
  public static final int PIDFD_SEND_SIGNAL = 424;
  public static final int IO_URING_SETUP = 425;
  public static final int IO_URING_ENTER = 426;
  public static final int IO_URING_REGISTER = 427;
  public static final int OPEN_TREE = 428;
  public static final int MOVE_MOUNT = 429;
  public static final int FSOPEN = 430;
  public static final int FSCONFIG = 431;
  public static final int FSMOUNT = 432;
  public static final int FSPICK = 433;
  public static final int PIDFD_OPEN = 434;
  public static final int CLONE3 = 435;
  public static final int CLOSE_RANGE = 436;
  public static final int OPENAT2 = 437;
  public static final int MOUNT_SETATTR = 442;
  public static final int LANDLOCK_CREATE_RULESET = 444;
  public static final int LANDLOCK_ADD_RULE = 445;
  public static final int LANDLOCK_RESTRICT_SELF = 446;

  private Sysno() {}
}
