package dev.robojail.ffm;

import java.lang.foreign.Arena;
import java.util.Optional;

/**
 * robojail-init, the PID 1 a sandbox runs its command under (see {@code init-x86_64.s}): it passes
 * signals on to the command and reaps orphans, which a command that is itself PID 1 does not do.
 *
 * <p>The executable is delivered as a sealed memfd, made once per JVM and kept open (close-on-exec,
 * so no other process started by the JVM inherits it): the cloned child's last step is {@code
 * execveat(fd(), "", argv, envp, AT_EMPTY_PATH)}. Sealing (write, grow, shrink, and the seals
 * themselves) means neither the JVM nor a sandboxed process can change the bytes later runs
 * execute. Nothing is written to the host's file system.
 *
 * <p>When the init cannot be had (no init for this architecture yet; {@code vm.memfd_noexec = 2},
 * which forbids executing memfds; an old kernel), {@link #fd()} is -1 and {@link #unavailable()}
 * says why: sandboxes then run their command as PID 1, as they did before. Nothing here prints or
 * logs: whether and how to tell the user is the caller's decision (the doctor reports it).
 */
public final class InitBinary {
  /** The init's {@code argv[0]}. */
  public static final String ARGV0 = "robojail-init";

  /** Separates the candidate paths from the command's argv in the init's arguments. */
  public static final String SEPARATOR = "--";

  private static final int MFD_CLOEXEC = 0x1;
  private static final int MFD_ALLOW_SEALING = 0x2;
  private static final int MFD_EXEC = 0x10;
  private static final int F_DUPFD_CLOEXEC = 1030;
  private static final int F_ADD_SEALS = 1033;
  private static final int F_GET_SEALS = 1034;
  static final int SEALS = 0x1 | 0x2 | 0x4 | 0x8; // F_SEAL_SEAL | SHRINK | GROW | WRITE

  private static boolean made;
  private static int fd = -1;
  private static String unavailable;

  private InitBinary() {}

  /** The init's bytes for this machine, or null when robojail has none for its architecture. */
  public static byte[] elf() {
    return switch (System.getProperty("os.arch")) {
      case "amd64", "x86_64" -> X86_64Init.elf();
      default -> null;
    };
  }

  /** The sealed memfd holding the init, or -1 when it is unavailable ({@link #unavailable()}). */
  public static synchronized int fd() {
    if (!made) {
      made = true;
      try {
        fd = make();
      } catch (RuntimeException | Error e) {
        // An Error too: kept and told, not a JVM that runs every command as PID 1 without a word
        // (the link thread makes it ahead, where nothing else would report it).
        unavailable = e.getMessage() != null ? e.getMessage() : e.toString();
      }
    }
    return fd;
  }

  /**
   * Why there is no init, or empty when there is one. Without it, sandboxed commands run as PID 1
   * of their PID namespace: they ignore signals they have no handler for, and orphans are not
   * reaped. Makes the init first if {@link #fd()} has not been called yet.
   */
  public static synchronized Optional<String> unavailable() {
    fd();
    return Optional.ofNullable(unavailable);
  }

  private static int make() {
    byte[] elf = elf();
    if (elf == null) {
      unavailable = "no robojail-init for " + System.getProperty("os.arch") + " yet";
      return -1;
    }
    if (Procfs.sysctl("vm/memfd_noexec").filter("2"::equals).isPresent()) {
      unavailable = "vm.memfd_noexec = 2 forbids executing a memfd";
      return -1;
    }
    long r;
    try (Arena a = Arena.ofConfined()) {
      long name = Structs.cString(a, ARGV0).address();
      int flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
      r = Native.syscall(Sysno.MEMFD_CREATE, name, flags | MFD_EXEC, 0, 0, 0, 0);
      if (r == -Errno.EINVAL) { // before Linux 6.3 there is no MFD_EXEC; memfds are executable
        r = Native.syscall(Sysno.MEMFD_CREATE, name, flags, 0, 0, 0, 0);
      }
    }
    int memfd = (int) check(r, "memfd_create(\"" + ARGV0 + "\", MFD_CLOEXEC|MFD_ALLOW_SEALING)");
    try {
      if (memfd < 3) { // the child dup3s its standard streams onto 0-2 before the exec
        int high =
            (int) check(Native.syscall(Sysno.FCNTL, memfd, F_DUPFD_CLOEXEC, 3, 0, 0, 0), "fcntl");
        Syscalls.close(memfd);
        memfd = high;
      }
      Syscalls.writeFully(memfd, elf);
      check(Native.syscall(Sysno.FCNTL, memfd, F_ADD_SEALS, SEALS, 0, 0, 0), "fcntl(F_ADD_SEALS)");
      long seals = check(Native.syscall(Sysno.FCNTL, memfd, F_GET_SEALS, 0, 0, 0, 0), "fcntl");
      if ((seals & SEALS) != SEALS) {
        throw new IllegalStateException("the robojail-init memfd is not sealed: " + seals);
      }
      return memfd;
    } catch (RuntimeException e) {
      Syscalls.close(memfd);
      throw e;
    }
  }

  /** The seals on {@code memfd}, for tests. */
  static long seals(int memfd) {
    return check(Native.syscall(Sysno.FCNTL, memfd, F_GET_SEALS, 0, 0, 0, 0), "fcntl(F_GET_SEALS)");
  }

  private static long check(long r, String call) {
    if (r < 0) {
      throw new SyscallException(call, (int) -r);
    }
    return r;
  }
}
