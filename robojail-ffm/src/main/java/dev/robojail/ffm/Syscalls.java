package dev.robojail.ffm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * Typed Linux system calls. Each failure throws a {@link SyscallException} that names the call, its
 * arguments and the errno. Calls that must only ever happen in a freshly cloned child ({@code
 * clone3}, and {@code execve} of a jailed command) are made by the {@link SetupRunner}, never from
 * Java: Java code must not run in a cloned child of the JVM.
 */
public final class Syscalls {
  public static final int AT_FDCWD = -100;
  public static final int AT_RECURSIVE = 0x8000;
  public static final int AT_EMPTY_PATH = 0x1000;
  public static final int AT_SYMLINK_NOFOLLOW = 0x100;
  public static final int AT_EACCESS = 0x200;
  public static final int X_OK = 1;

  public static final int O_RDONLY = 0;
  public static final int O_WRONLY = 1;
  public static final int O_RDWR = 2;
  public static final int O_CREAT = 0x40;
  public static final int O_EXCL = 0x80;
  public static final int O_NOCTTY = 0x100;
  public static final int O_TRUNC = 0x200;
  public static final int O_APPEND = 0x400;
  public static final int O_NONBLOCK = 0x800;
  public static final int O_DIRECTORY = 0x10000;
  public static final int O_NOFOLLOW = 0x20000;
  public static final int O_CLOEXEC = 0x80000;
  public static final int O_PATH = 0x200000;

  public static final long CLONE_NEWNS = 0x00020000L;
  public static final long CLONE_NEWCGROUP = 0x02000000L;
  public static final long CLONE_NEWUTS = 0x04000000L;
  public static final long CLONE_NEWIPC = 0x08000000L;
  public static final long CLONE_NEWUSER = 0x10000000L;
  public static final long CLONE_NEWPID = 0x20000000L;
  public static final long CLONE_NEWNET = 0x40000000L;
  public static final long CLONE_VM = 0x00000100L;
  public static final long CLONE_PIDFD = 0x00001000L;
  public static final long CLONE_CLEAR_SIGHAND = 0x100000000L;
  public static final long CLONE_INTO_CGROUP = 0x200000000L;

  public static final int MNT_DETACH = 2;

  // The new mount API's context calls (linux/mount.h): an overlay is configured key by key on an
  // fsopen() descriptor, its layers given as descriptors, so that no path is ever parsed as
  // options.
  public static final int FSOPEN_CLOEXEC = 1;
  public static final int FSCONFIG_SET_FLAG = 0;
  public static final int FSCONFIG_SET_FD = 5;
  public static final int FSCONFIG_CMD_CREATE = 6;
  public static final int FSMOUNT_CLOEXEC = 1;

  public static final int PR_SET_PDEATHSIG = 1;
  public static final int PR_GET_DUMPABLE = 3;
  public static final int PR_SET_DUMPABLE = 4;
  public static final int PR_CAPBSET_READ = 23;
  public static final int PR_CAPBSET_DROP = 24;
  public static final int PR_SET_NO_NEW_PRIVS = 38;
  public static final int PR_GET_NO_NEW_PRIVS = 39;

  public static final int SIGHUP = 1;
  public static final int SIGINT = 2;
  public static final int SIGKILL = 9;
  public static final int SIGUSR1 = 10;
  public static final int SIGTERM = 15;
  public static final int SIGCHLD = 17;
  public static final int SIGSTOP = 19;

  /** The highest signal number, {@code SIGRTMAX} as the kernel counts. */
  public static final int SIGRTMAX = 64;

  public static final int SIG_BLOCK = 0;
  public static final int SIG_UNBLOCK = 1;
  public static final int SIG_SETMASK = 2;

  public static final int P_PID = 1;
  public static final int P_PIDFD = 3;
  public static final int WNOHANG = 1;
  public static final int WEXITED = 4;
  public static final int WNOWAIT = 0x01000000;

  public static final int CLOSE_RANGE_CLOEXEC = 4;
  private static final int MSG_CMSG_CLOEXEC = 0x40000000;
  private static final int SO_ERROR = 4;

  /** The {@code level} of TCP's socket options. */
  public static final int IPPROTO_TCP = 6;

  /** A TCP socket's congestion control algorithm, by name ({@code "reno"}, {@code "bbr"}…). */
  public static final int TCP_CONGESTION = 13;

  private static final int TCP_NODELAY = 1;
  private static final int F_GETFL = 3;
  private static final int F_SETFL = 4;
  private static final int F_SETPIPE_SZ = 1031;

  /** {@link #splice}: move pages rather than copy them, where the kernel can. */
  public static final int SPLICE_F_MOVE = 1;

  /** {@link #splice}: do not block on the pipe. */
  public static final int SPLICE_F_NONBLOCK = 2;

  private Syscalls() {}

  private static long check(long r, String call) {
    if (r < 0) {
      throw new SyscallException(call, (int) -r);
    }
    return r;
  }

  private static long sys(int nr, long... a) {
    long[] v = new long[6];
    System.arraycopy(a, 0, v, 0, a.length);
    return Native.syscall(nr, v[0], v[1], v[2], v[3], v[4], v[5]);
  }

  private static MemorySegment cstr(Arena arena, String s) {
    return s == null ? MemorySegment.NULL : Structs.cString(arena, s);
  }

  static String quote(String s) {
    return s == null ? "NULL" : '"' + s + '"';
  }

  /** {@code openat(2)}; returns the new descriptor. */
  public static int openat(int dirfd, String path, int flags, int mode) {
    try (Arena a = Arena.ofConfined()) {
      return (int)
          check(
              sys(Sysno.OPENAT, dirfd, cstr(a, path).address(), flags, mode),
              "openat("
                  + dirfd(dirfd)
                  + ", "
                  + quote(path)
                  + ", "
                  + Flags.open(flags)
                  + ", 0"
                  + Integer.toOctalString(mode)
                  + ")");
    }
  }

  /**
   * {@code openat(2)} of a name already in native memory, such as a {@link Dirent64} record's: a
   * segment whose last byte is the name's NUL. Returns the new descriptor. Made without a copy of
   * the name or an arena, for walks that open many.
   */
  public static int openat(int dirfd, MemorySegment name, int flags) {
    long r = Native.syscall(Sysno.OPENAT, dirfd, cName(name), flags, 0, 0, 0);
    return r >= 0
        ? (int) r
        : (int)
            check(
                r, "openat(" + dirfd(dirfd) + ", " + quote(name) + ", " + Flags.open(flags) + ")");
  }

  /**
   * {@code getdents64(2)}: fills {@code buffer} with the directory's next {@link Dirent64} records;
   * returns how many bytes they take, 0 at the end of the directory.
   */
  public static int getdents64(int fd, MemorySegment buffer) {
    long size = Math.min(buffer.byteSize(), Integer.MAX_VALUE);
    long r = Native.syscall(Sysno.GETDENTS64, fd, nativeAddress(buffer, 1), size, 0, 0, 0);
    return r >= 0 ? (int) r : (int) check(r, "getdents64(" + fd + ", " + size + ")");
  }

  /**
   * {@code newfstatat(2)} (glibc's {@code fstatat}) of a name in native memory (a segment whose
   * last byte is its NUL) into {@code stat} ({@link Stat#LAYOUT}); returns its {@code st_mode}.
   */
  public static int fstatat(int dirfd, MemorySegment name, MemorySegment stat, int flags) {
    long r =
        Native.syscall(
            Sysno.NEWFSTATAT,
            dirfd,
            cName(name),
            nativeAddress(stat, Stat.LAYOUT.byteSize()),
            flags,
            0,
            0);
    if (r < 0) {
      check(r, "fstatat(" + dirfd(dirfd) + ", " + quote(name) + ", " + atFlags(flags) + ")");
    }
    return Stat.mode(stat);
  }

  /** {@code fstat(2)} into {@code stat} ({@link Stat#LAYOUT}); returns its {@code st_mode}. */
  public static int fstat(int fd, MemorySegment stat) {
    long r =
        Native.syscall(Sysno.FSTAT, fd, nativeAddress(stat, Stat.LAYOUT.byteSize()), 0, 0, 0, 0);
    if (r < 0) {
      check(r, "fstat(" + fd + ")");
    }
    return Stat.mode(stat);
  }

  // The kernel reads a name up to its NUL and writes a struct over the whole of it: a segment
  // that does not end with the NUL, or on the heap (whose address() is not where its bytes are),
  // is refused before the kernel is handed a pointer. Checking the last byte only keeps the check
  // one access for a walk that makes a call per entry.
  private static long cName(MemorySegment name) {
    if (name.byteSize() == 0 || Structs.byteAt(name, name.byteSize() - 1) != 0) {
      throw new IllegalArgumentException("a name passed to the kernel must end with its NUL");
    }
    return nativeAddress(name, 1);
  }

  private static long nativeAddress(MemorySegment s, long size) {
    if (!s.isNative() || s.byteSize() < size) {
      throw new IllegalArgumentException(
          "the kernel needs " + size + " bytes of native memory, not " + s);
    }
    return s.address();
  }

  // A name as the kernel got it, bytes other than printable ASCII as \xNN: a name read from a
  // directory may hold any byte but / and NUL, terminal escapes included.
  static String quote(MemorySegment name) {
    byte[] b = name.toArray(JAVA_BYTE);
    int n = 0;
    while (n < b.length && b[n] != 0) {
      n++;
    }
    return quote(b, 0, n);
  }

  // The same, of n bytes of b from offset.
  static String quote(byte[] bytes, int offset, int n) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = offset; i < offset + n; i++) {
      int c = Byte.toUnsignedInt(bytes[i]);
      if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
        b.append("\\x")
            .append(Character.forDigit(c >> 4, 16))
            .append(Character.forDigit(c & 15, 16));
      } else {
        b.append((char) c);
      }
    }
    return b.append('"').toString();
  }

  static String atFlags(int flags) {
    return flags == AT_SYMLINK_NOFOLLOW ? "AT_SYMLINK_NOFOLLOW" : "0x" + Integer.toHexString(flags);
  }

  /** {@code close(2)}. */
  public static void close(int fd) {
    check(sys(Sysno.CLOSE, fd), "close(" + fd + ")");
  }

  /** {@code dup3(2)}; returns {@code newFd}. */
  public static int dup3(int oldFd, int newFd, int flags) {
    return (int)
        check(
            sys(Sysno.DUP3, oldFd, newFd, flags),
            "dup3(" + oldFd + ", " + newFd + ", " + flags + ")");
  }

  /** {@code pipe2(2)}; returns {read end, write end}. */
  public static int[] pipe2(int flags) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment fds = a.allocate(JAVA_INT, 2);
      check(sys(Sysno.PIPE2, fds.address(), flags), "pipe2(" + Flags.open(flags) + ")");
      return new int[] {Structs.intAt(fds, 0), Structs.intAt(fds, 4)};
    }
  }

  /** {@code read(2)} into a native buffer; 0 means end of file. Retries on EINTR. */
  public static int read(int fd, MemorySegment buffer, long count) {
    while (true) {
      long r = sys(Sysno.READ, fd, buffer.address(), Math.min(count, buffer.byteSize()));
      if (r != -Errno.EINTR) {
        return (int) check(r, "read(" + fd + ", " + count + ")");
      }
    }
  }

  /** {@code write(2)} from a native buffer; returns how many bytes were written. */
  public static int write(int fd, MemorySegment buffer, long count) {
    while (true) {
      long r = sys(Sysno.WRITE, fd, buffer.address(), Math.min(count, buffer.byteSize()));
      if (r != -Errno.EINTR) {
        return (int) check(r, "write(" + fd + ", " + count + ")");
      }
    }
  }

  /** Writes all of {@code bytes}. */
  public static void writeFully(int fd, byte[] bytes) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment buf = a.allocateFrom(JAVA_BYTE, bytes);
      long done = 0;
      while (done < bytes.length) {
        done += write(fd, buf.asSlice(done), bytes.length - done);
      }
    }
  }

  public static final int AF_UNIX = 1;
  public static final int SHUT_RDWR = 2;

  /** {@code socketpair(2)}; returns both ends. */
  public static int[] socketpair(int domain, int type) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment fds = a.allocate(JAVA_INT, 2);
      check(
          sys(Sysno.SOCKETPAIR, domain, type, 0, fds.address()),
          "socketpair(" + domain + ", 0x" + Integer.toHexString(type) + ", 0)");
      return new int[] {Structs.intAt(fds, 0), Structs.intAt(fds, 4)};
    }
  }

  /** {@code accept4(2)} without the peer's address; returns the connection. Retries on EINTR. */
  public static int accept4(int fd, int flags) {
    while (true) {
      long r = sys(Sysno.ACCEPT4, fd, 0, 0, flags);
      if (r != -Errno.EINTR) {
        return (int)
            check(r, "accept4(" + fd + ", NULL, NULL, 0x" + Integer.toHexString(flags) + ")");
      }
    }
  }

  /** {@code shutdown(2)}, which also wakes a thread blocked in {@code accept} or {@code read}. */
  public static void shutdown(int fd, int how) {
    check(sys(Sysno.SHUTDOWN, fd, how), "shutdown(" + fd + ", " + how + ")");
  }

  /**
   * Receives one byte and the one descriptor passed with it ({@code SCM_RIGHTS}) on a UNIX socket,
   * close-on-exec; -1 when the message carried none.
   */
  public static int receiveDescriptor(int socket) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment control = a.allocate(MsgHdr.RIGHTS_BYTES, 8);
      MemorySegment msg = MsgHdr.message(a, a.allocate(1), control);
      while (true) {
        long r = sys(Sysno.RECVMSG, socket, msg.address(), MSG_CMSG_CLOEXEC);
        if (r == -Errno.EINTR) {
          continue;
        }
        check(r, "recvmsg(" + socket + ", {SCM_RIGHTS}, MSG_CMSG_CLOEXEC)");
        // read by copies, not get: see Structs
        long len = Structs.longAt(msg, MsgHdr.CONTROLLEN);
        boolean rights =
            len >= MsgHdr.RIGHTS_FD + 4
                && Structs.intAt(control, MsgHdr.RIGHTS_FD - 4) == MsgHdr.SCM_RIGHTS;
        return rights ? Structs.intAt(control, MsgHdr.RIGHTS_FD) : -1;
      }
    }
  }

  /** Sends one byte and descriptor {@code fd} ({@code SCM_RIGHTS}) on a UNIX socket. */
  public static void sendDescriptor(int socket, int fd) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment control = a.allocateFrom(JAVA_BYTE, MsgHdr.rights(fd));
      MemorySegment msg = MsgHdr.message(a, a.allocate(1), control);
      check(
          sys(Sysno.SENDMSG, socket, msg.address(), 0),
          "sendmsg(" + socket + ", {SCM_RIGHTS=[" + fd + "]}, 0)");
    }
  }

  /** {@code pidfd_open(2)}. */
  public static int pidfdOpen(int pid, int flags) {
    return (int) check(sys(Sysno.PIDFD_OPEN, pid, flags), "pidfd_open(" + pid + ", " + flags + ")");
  }

  /** {@code pidfd_send_signal(2)}. */
  public static void pidfdSendSignal(int pidfd, int signal) {
    check(
        sys(Sysno.PIDFD_SEND_SIGNAL, pidfd, signal, 0, 0),
        "pidfd_send_signal(" + pidfd + ", " + signal + ", NULL, 0)");
  }

  /** {@code kill(2)}. */
  public static void kill(int pid, int signal) {
    check(sys(Sysno.KILL, pid, signal), "kill(" + pid + ", " + signal + ")");
  }

  /**
   * {@code waitid(2)}; returns what happened to the child, or {@code null} with {@link #WNOHANG}
   * when it has not changed state. Retries on EINTR.
   */
  public static SigInfo waitid(int idType, int id, int options) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment info = a.allocate(SigInfo.LAYOUT);
      while (true) {
        long r = sys(Sysno.WAITID, idType, id, info.address(), options, 0);
        if (r == -Errno.EINTR) {
          continue;
        }
        check(r, "waitid(" + idType + ", " + id + ", " + options + ")");
        SigInfo s = SigInfo.read(info);
        return s.pid() == 0 ? null : s;
      }
    }
  }

  /** {@code rt_sigprocmask(2)} for this thread; returns the previous mask. */
  public static long rtSigprocmask(int how, long set) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment next = Structs.longs(a, set);
      MemorySegment old = a.allocate(JAVA_LONG);
      check(
          sys(Sysno.RT_SIGPROCMASK, how, next.address(), old.address(), 8),
          "rt_sigprocmask(" + how + ", 0x" + Long.toHexString(set) + ")");
      return Structs.longAt(old, 0);
    }
  }

  /** {@code ioctl(2)} with a pointer argument; returns the call's result. */
  public static int ioctl(int fd, long request, MemorySegment arg) {
    return (int)
        check(
            sys(Sysno.IOCTL, fd, request, arg.address()),
            "ioctl(" + fd + ", 0x" + Long.toHexString(request) + ")");
  }

  public static int getuid() {
    return (int) sys(Sysno.GETUID);
  }

  public static int getgid() {
    return (int) sys(Sysno.GETGID);
  }

  /**
   * A blocking TCP connection to {@code address} (4 or 16 bytes) and {@code port}, made within
   * {@code timeoutMillis}, with {@code TCP_NODELAY}: {@code socket}, a non-blocking {@code
   * connect}, {@code poll} for its end, {@code SO_ERROR}, then blocking again. Returns the socket;
   * throws with {@code ETIMEDOUT} when the time ran out, or the connection's own errno.
   */
  public static int connectTcp(byte[] address, int port, int timeoutMillis) {
    byte[] sa = SockAddrIn.of(address, port);
    int family = address.length == 4 ? SockAddrIn.AF_INET : SockAddrIn.AF_INET6;
    String call = "connect(" + (address.length == 4 ? "AF_INET" : "AF_INET6") + ", port " + port;
    int fd =
        (int)
            check(
                sys(
                    Sysno.SOCKET,
                    family,
                    SockAddrIn.SOCK_STREAM | SockAddrIn.SOCK_CLOEXEC | SockAddrIn.SOCK_NONBLOCK,
                    0),
                "socket(" + family + ", SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0)");
    try (Arena a = Arena.ofConfined()) {
      long r = sys(Sysno.CONNECT, fd, a.allocateFrom(JAVA_BYTE, sa).address(), sa.length);
      if (r == -Errno.EINPROGRESS || r == -Errno.EINTR) {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (true) {
          int left = (int) Math.max(0, (deadline - System.nanoTime()) / 1_000_000L);
          short ev;
          try {
            ev = poll(fd, PollFd.POLLOUT, left);
          } catch (SyscallException e) {
            if (e.errno() == Errno.EINTR) {
              continue;
            }
            throw e;
          }
          if (ev == 0) {
            throw new SyscallException(call + ")", Errno.ETIMEDOUT);
          }
          break;
        }
        MemorySegment err = a.allocate(JAVA_INT);
        MemorySegment len = Structs.int1(a, 4);
        check(
            sys(
                Sysno.GETSOCKOPT,
                fd,
                SockAddrIn.SOL_SOCKET,
                SO_ERROR,
                err.address(),
                len.address()),
            "getsockopt(" + fd + ", SOL_SOCKET, SO_ERROR)");
        r = -Structs.intAt(err, 0);
      }
      check(r, call + ")");
      long fl = check(sys(Sysno.FCNTL, fd, F_GETFL), "fcntl(" + fd + ", F_GETFL)");
      check(
          sys(Sysno.FCNTL, fd, F_SETFL, fl & ~SockAddrIn.SOCK_NONBLOCK),
          "fcntl(" + fd + ", F_SETFL)");
      MemorySegment one = Structs.int1(a, 1);
      check(
          sys(Sysno.SETSOCKOPT, fd, IPPROTO_TCP, TCP_NODELAY, one.address(), 4),
          "setsockopt(" + fd + ", IPPROTO_TCP, TCP_NODELAY)");
      return fd;
    } catch (RuntimeException e) {
      sys(Sysno.CLOSE, fd);
      throw e;
    }
  }

  /**
   * {@code poll(2)} on two descriptors; returns both {@code revents}, zeros when {@code
   * timeoutMillis} passed first. Retries on EINTR.
   */
  public static short[] poll2(int fd1, short events1, int fd2, short events2, int timeoutMillis) {
    try (Arena a = Arena.ofConfined()) {
      long size = PollFd.LAYOUT.byteSize();
      MemorySegment p =
          Structs.copy(
              a,
              Structs.bytes(
                  2 * size,
                  b -> {
                    b.putInt((int) PollFd.FD, fd1);
                    b.putShort((int) PollFd.EVENTS, events1);
                    b.putInt((int) (size + PollFd.FD), fd2);
                    b.putShort((int) (size + PollFd.EVENTS), events2);
                  }),
              PollFd.LAYOUT.byteAlignment());
      while (true) {
        long r = sys(Sysno.POLL, p.address(), 2, timeoutMillis);
        if (r == -Errno.EINTR) {
          continue;
        }
        check(r, "poll({" + fd1 + ", " + fd2 + "}, 2, " + timeoutMillis + ")");
        return r == 0
            ? new short[2]
            : new short[] {
              Structs.shortAt(p, PollFd.REVENTS), Structs.shortAt(p, size + PollFd.REVENTS)
            };
      }
    }
  }

  /** Sets or clears {@code O_NONBLOCK} on {@code fd}. */
  public static void setNonBlocking(int fd, boolean on) {
    long fl = check(sys(Sysno.FCNTL, fd, F_GETFL), "fcntl(" + fd + ", F_GETFL)");
    long want = on ? fl | SockAddrIn.SOCK_NONBLOCK : fl & ~SockAddrIn.SOCK_NONBLOCK;
    check(sys(Sysno.FCNTL, fd, F_SETFL, want), "fcntl(" + fd + ", F_SETFL)");
  }

  /**
   * {@code fcntl(fd, F_SETPIPE_SZ, size)}: the pipe's capacity, rounded up by the kernel; returns
   * it.
   */
  public static int setPipeSize(int fd, int size) {
    return (int)
        check(
            sys(Sysno.FCNTL, fd, F_SETPIPE_SZ, size),
            "fcntl(" + fd + ", F_SETPIPE_SZ, " + size + ")");
  }

  /** {@code setsockopt(2)} of a string option, such as {@link #TCP_CONGESTION}. */
  public static void setsockopt(int fd, int level, int name, String value) {
    try (Arena a = Arena.ofConfined()) {
      byte[] b = value.getBytes(StandardCharsets.US_ASCII);
      MemorySegment v = a.allocateFrom(JAVA_BYTE, b);
      check(
          sys(Sysno.SETSOCKOPT, fd, level, name, v.address(), b.length),
          "setsockopt(" + fd + ", " + level + ", " + name + ", \"" + value + "\")");
    }
  }

  /**
   * {@code splice(2)} of up to {@code len} bytes from {@code in} to {@code out} (one of them a
   * pipe), without offsets; 0 means end of file, -1 that the call would block ({@code EAGAIN}).
   * Retries on EINTR.
   */
  public static long splice(int in, int out, long len, int flags) {
    while (true) {
      long r = sys(Sysno.SPLICE, in, 0, out, 0, len, flags);
      // A relay splices until a side would block, so EAGAIN ends every burst: an exception (with
      // its stack trace) each time would cost more than the call.
      if (r == -Errno.EAGAIN) {
        return -1;
      }
      if (r != -Errno.EINTR) {
        return r >= 0
            ? r
            : check(r, "splice(" + in + ", NULL, " + out + ", NULL, " + len + ", " + flags + ")");
      }
    }
  }

  /**
   * {@code poll(2)} on one descriptor; returns its {@code revents}, 0 when {@code timeoutMillis}
   * passed first. Does not retry on EINTR (it throws), so that a caller can look at why it was
   * woken.
   */
  public static short poll(int fd, short events, int timeoutMillis) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment p =
          Structs.copy(
              a,
              Structs.bytes(
                  PollFd.LAYOUT.byteSize(),
                  b -> {
                    b.putInt((int) PollFd.FD, fd);
                    b.putShort((int) PollFd.EVENTS, events);
                  }),
              PollFd.LAYOUT.byteAlignment());
      long r =
          check(
              sys(Sysno.POLL, p.address(), 1, timeoutMillis),
              "poll({"
                  + fd
                  + ", 0x"
                  + Integer.toHexString(events)
                  + "}, 1, "
                  + timeoutMillis
                  + ")");
      return r == 0 ? 0 : Structs.shortAt(p, PollFd.REVENTS);
    }
  }

  /** {@code prlimit64(2)} setting a limit of process {@code pid} (0: this one). */
  public static void prlimit64(int pid, int resource, long soft, long hard) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment limit = a.allocate(Rlimit.LAYOUT);
      MemorySegment.copy(Rlimit.bytes(soft, hard), 0, limit, JAVA_BYTE, 0, (int) limit.byteSize());
      check(
          sys(Sysno.PRLIMIT64, pid, resource, limit.address(), 0),
          "prlimit64(" + pid + ", " + resource + ", {" + soft + ", " + hard + "}, NULL)");
    }
  }

  /** {@code prlimit64(2)} reading, not changing, a limit of process {@code pid} (0: this one). */
  public static Rlimit prlimit64(int pid, int resource) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment old = a.allocate(Rlimit.LAYOUT);
      check(
          sys(Sysno.PRLIMIT64, pid, resource, 0, old.address()),
          "prlimit64(" + pid + ", " + resource + ", NULL)");
      return Rlimit.read(old);
    }
  }

  /**
   * The raw interface, for the few callers in this package that interpret {@code -errno}
   * themselves; everything outside ffm uses a typed wrapper.
   */
  static long raw(int nr, long... args) {
    if (args.length > 6) {
      throw new IllegalArgumentException("a system call takes at most 6 arguments");
    }
    return sys(nr, args);
  }

  static String dirfd(int fd) {
    return fd == AT_FDCWD ? "AT_FDCWD" : Integer.toString(fd);
  }
}
