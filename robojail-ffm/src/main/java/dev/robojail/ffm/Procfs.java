package dev.robojail.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Reads the kernel's settings under {@code /proc/sys}. A sysctl file reports size 0 and produces
 * its value in one {@code read(2)}: the JDK's file readers, which size their buffer from the file
 * or read it in pieces, can return a truncated or wrong value (only the first byte, on some integer
 * sysctls). So each read here is exactly one {@code read} of up to {@value #MAX} bytes.
 */
public final class Procfs {
  /** The most a setting read here may be: a page. */
  public static final int MAX = 4096;

  private Procfs() {}

  /**
   * The value of sysctl {@code name}, such as {@code "kernel/cap_last_cap"} (a path under {@code
   * /proc/sys}; the dotted form {@code kernel.cap_last_cap} is accepted too), without its trailing
   * newline; empty when the setting does not exist or cannot be read.
   */
  public static Optional<String> sysctl(String name) {
    return readOnce(path(name)).map(String::strip);
  }

  /**
   * {@link #sysctl}, with a failure told apart: empty only when this kernel has no such setting
   * ({@code ENOENT}).
   *
   * @throws SyscallException for any other failure to read it ({@code EMFILE}, {@code EACCES}…)
   */
  public static Optional<String> sysctlIfAny(String name) {
    int fd;
    try {
      fd =
          Syscalls.openat(Syscalls.AT_FDCWD, path(name), Syscalls.O_RDONLY | Syscalls.O_CLOEXEC, 0);
    } catch (SyscallException e) {
      if (e.errno() == Errno.ENOENT) {
        return Optional.empty();
      }
      throw e;
    }
    try {
      return Optional.of(readAll(fd).strip());
    } finally {
      Syscalls.close(fd);
    }
  }

  // The setting's file, for a name checked to stay beneath /proc/sys.
  private static String path(String name) {
    String path = name.indexOf('/') < 0 ? name.replace('.', '/') : name;
    if (path.isEmpty() || path.startsWith("/") || path.contains("..") || path.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("not a sysctl name: " + name);
    }
    return "/proc/sys/" + path;
  }

  private static String readAll(int fd) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment buf = a.allocate(MAX);
      int n = Syscalls.read(fd, buf, MAX);
      return new String(
          buf.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
          StandardCharsets.UTF_8);
    }
  }

  /** The first {@value #MAX} bytes of {@code path} in one {@code read(2)}; empty on any error. */
  static Optional<String> readOnce(String path) {
    int fd;
    try {
      fd = Syscalls.openat(Syscalls.AT_FDCWD, path, Syscalls.O_RDONLY | Syscalls.O_CLOEXEC, 0);
    } catch (SyscallException e) {
      return Optional.empty();
    }
    try {
      return Optional.of(readAll(fd));
    } catch (SyscallException e) {
      return Optional.empty();
    } finally {
      Syscalls.close(fd);
    }
  }
}
