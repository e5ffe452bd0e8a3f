package dev.robojail.ffm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.Optional;

/** {@link Kernel} over the real system calls. */
final class LinuxKernel implements Kernel {
  static final LinuxKernel INSTANCE = new LinuxKernel();

  private LinuxKernel() {}

  @Override
  public int[] pipe2(int flags) {
    return Syscalls.pipe2(flags);
  }

  @Override
  public int openat(int dirfd, String path, int flags, int mode) {
    return Syscalls.openat(dirfd, path, flags, mode);
  }

  @Override
  public void close(int fd) {
    Syscalls.close(fd);
  }

  @Override
  public int read(int fd, byte[] b, int off, int len) {
    Objects.checkFromIndexSize(off, len, b.length);
    try (Arena a = Arena.ofConfined()) {
      MemorySegment buf = a.allocate(Math.max(1, len));
      int n = Syscalls.read(fd, buf, len);
      MemorySegment.copy(buf, JAVA_BYTE, 0, b, off, n);
      return n;
    }
  }

  @Override
  public int write(int fd, byte[] b, int off, int len) {
    Objects.checkFromIndexSize(off, len, b.length);
    try (Arena a = Arena.ofConfined()) {
      MemorySegment buf = a.allocate(Math.max(1, len));
      MemorySegment.copy(b, off, buf, JAVA_BYTE, 0, len);
      return Syscalls.write(fd, buf, len);
    }
  }

  @Override
  public int read(int fd, MemorySegment buffer, int len) {
    return Syscalls.read(fd, buffer, len);
  }

  @Override
  public int write(int fd, MemorySegment buffer, int len) {
    return Syscalls.write(fd, buffer, len);
  }

  @Override
  public int[] socketpair(int domain, int type) {
    return Syscalls.socketpair(domain, type);
  }

  @Override
  public int accept4(int fd, int flags) {
    return Syscalls.accept4(fd, flags);
  }

  @Override
  public int connectTcp(byte[] address, int port, int timeoutMillis) {
    return Syscalls.connectTcp(address, port, timeoutMillis);
  }

  @Override
  public short[] poll2(int fd1, short events1, int fd2, short events2, int timeoutMillis) {
    return Syscalls.poll2(fd1, events1, fd2, events2, timeoutMillis);
  }

  @Override
  public void setNonBlocking(int fd, boolean on) {
    Syscalls.setNonBlocking(fd, on);
  }

  @Override
  public int setPipeSize(int fd, int size) {
    return Syscalls.setPipeSize(fd, size);
  }

  @Override
  public void setsockopt(int fd, int level, int name, String value) {
    Syscalls.setsockopt(fd, level, name, value);
  }

  @Override
  public long splice(int in, int out, long len, int flags) {
    return Syscalls.splice(in, out, len, flags);
  }

  @Override
  public void shutdown(int fd, int how) {
    Syscalls.shutdown(fd, how);
  }

  @Override
  public int receiveDescriptor(int socket) {
    return Syscalls.receiveDescriptor(socket);
  }

  @Override
  public short poll(int fd, short events, int timeoutMillis) {
    return Syscalls.poll(fd, events, timeoutMillis);
  }

  @Override
  public int pidfdOpen(int pid, int flags) {
    return Syscalls.pidfdOpen(pid, flags);
  }

  @Override
  public void pidfdSendSignal(int pidfd, int signal) {
    Syscalls.pidfdSendSignal(pidfd, signal);
  }

  @Override
  public SigInfo waitid(int idType, int id, int options) {
    return Syscalls.waitid(idType, id, options);
  }

  @Override
  public Rlimit prlimit64(int pid, int resource) {
    return Syscalls.prlimit64(pid, resource);
  }

  @Override
  public int getuid() {
    return Syscalls.getuid();
  }

  @Override
  public int getgid() {
    return Syscalls.getgid();
  }

  @Override
  public Optional<String> sysctl(String name) {
    return Procfs.sysctl(name);
  }

  @Override
  public boolean isTerminal(int fd) {
    // TCGETS, as isatty(3) asks, into a buffer of its own: Termios's constants are compile-time
    // ones, so a command whose streams are not terminals never initialises Termios and its layouts
    // (~7 ms: the first value layouts and layout paths of the JVM).
    try (Arena a = Arena.ofConfined()) {
      return Syscalls.raw(Sysno.IOCTL, fd, Termios.TCGETS, a.allocate(Termios.SIZE).address()) == 0;
    }
  }

  @Override
  public Termios tcgets(int fd) {
    return Termios.get(fd);
  }

  @Override
  public void tcsets(int fd, Termios modes) {
    modes.set(fd);
  }

  @Override
  public Pty openPty() {
    return Pty.open();
  }

  @Override
  public int[] windowSize(int fd) {
    return Pty.size(fd);
  }

  @Override
  public void setWindowSize(int fd, int rows, int columns) {
    Pty.setSize(fd, rows, columns);
  }
}
