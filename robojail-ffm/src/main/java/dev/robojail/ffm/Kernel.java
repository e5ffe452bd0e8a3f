package dev.robojail.ffm;

import java.util.Optional;

/**
 * The system calls the parent side of a sandbox makes (the JVM, never the cloned child): one seam,
 * so that the logic around them (ending a sandbox, relaying a terminal, opening standard streams)
 * can be tested against a recording fake, while the real kernel is tested in real namespaces. The
 * child's own calls are data ({@link SetupProgram}) and need no seam.
 *
 * <p>Each method behaves like the {@link Syscalls} wrapper of the same name: failures throw a
 * {@link SyscallException} carrying the errno, and calls that the wrapper retries on EINTR are
 * retried here too, except {@link #poll}.
 */
public interface Kernel {
  /** The real kernel, through {@link Syscalls}. */
  static Kernel linux() {
    return LinuxKernel.INSTANCE;
  }

  /**
   * Starts linking the native calls on a daemon thread of its own, for a caller about to start or
   * join a sandbox: the linker's first use then overlaps the caller's other work, and the first
   * native call waits for it. A failure there is the first native call's to report.
   */
  static void linkAhead() {
    Native.linkAhead(null);
  }

  /**
   * {@link #linkAhead()}, then {@code then} on the same thread once the link has worked (never when
   * it failed: the first native call reports that). {@code then} may make native calls; a class of
   * robojail's it initialises must need nothing of robojail's in its initialiser but classes whose
   * own initialisers need only the JDK's, so that the two threads' class initialisation cannot
   * deadlock.
   *
   * @return the thread, for a caller that waits for {@code then}; null when nothing was started
   *     (this architecture has no native calls of robojail's)
   */
  static Thread linkAhead(Runnable then) {
    return Native.linkAhead(then);
  }

  /** {@code pipe2(2)}; returns {read end, write end}. */
  int[] pipe2(int flags);

  /** {@code openat(2)}; returns the new descriptor. */
  int openat(int dirfd, String path, int flags, int mode);

  /** {@code close(2)}. */
  void close(int fd);

  /** {@code read(2)} into {@code b[off..off+len)}; 0 means end of file. */
  int read(int fd, byte[] b, int off, int len);

  /** {@code write(2)} from {@code b[off..off+len)}; returns how many bytes were written. */
  int write(int fd, byte[] b, int off, int len);

  /**
   * {@code poll(2)} on one descriptor; returns its {@code revents} ({@link PollFd#POLLIN}, {@link
   * PollFd#POLLHUP}, ...), 0 on timeout. EINTR is thrown, not retried.
   */
  short poll(int fd, short events, int timeoutMillis);

  /** {@code read(2)} into a native buffer; 0 means end of file. */
  int read(int fd, java.lang.foreign.MemorySegment buffer, int len);

  /** {@code write(2)} from a native buffer; returns how many bytes were written. */
  int write(int fd, java.lang.foreign.MemorySegment buffer, int len);

  /** {@code socketpair(2)}; returns both ends. */
  int[] socketpair(int domain, int type);

  /** {@code accept4(2)}; returns the connection. */
  int accept4(int fd, int flags);

  /** {@code shutdown(2)}. */
  void shutdown(int fd, int how);

  /** See {@link Syscalls#connectTcp}. */
  int connectTcp(byte[] address, int port, int timeoutMillis);

  /** See {@link Syscalls#poll2}. */
  short[] poll2(int fd1, short events1, int fd2, short events2, int timeoutMillis);

  /** See {@link Syscalls#setNonBlocking}. */
  void setNonBlocking(int fd, boolean on);

  /** See {@link Syscalls#setPipeSize}. */
  int setPipeSize(int fd, int size);

  /** See {@link Syscalls#setsockopt}. */
  void setsockopt(int fd, int level, int name, String value);

  /** See {@link Syscalls#splice}. */
  long splice(int in, int out, long len, int flags);

  /** The descriptor passed with one byte on a UNIX socket ({@code SCM_RIGHTS}), or -1 for none. */
  int receiveDescriptor(int socket);

  /** {@code pidfd_open(2)}. */
  int pidfdOpen(int pid, int flags);

  /** {@code pidfd_send_signal(2)}. */
  void pidfdSendSignal(int pidfd, int signal);

  /** {@code waitid(2)}; null with {@link Syscalls#WNOHANG} when the child has not changed state. */
  SigInfo waitid(int idType, int id, int options);

  /** {@code prlimit64(2)}, reading a limit of process {@code pid} (0: the caller). */
  Rlimit prlimit64(int pid, int resource);

  /** {@code getuid(2)}. */
  int getuid();

  /** {@code getgid(2)}. */
  int getgid();

  /** A sysctl's value, read the way {@link Procfs#sysctl} does. */
  Optional<String> sysctl(String name);

  /** Whether {@code fd} is a terminal ({@code TCGETS} succeeds). */
  boolean isTerminal(int fd);

  /** The terminal's modes ({@code TCGETS}). */
  Termios tcgets(int fd);

  /** Sets the terminal's modes ({@code TCSETS}). */
  void tcsets(int fd, Termios modes);

  /** A new pseudo-terminal pair from {@code /dev/ptmx}. */
  Pty openPty();

  /** The terminal's size as {rows, columns} ({@code TIOCGWINSZ}). */
  int[] windowSize(int fd);

  /** Sets the terminal's size ({@code TIOCSWINSZ}), which signals its foreground job. */
  void setWindowSize(int fd, int rows, int columns);
}
