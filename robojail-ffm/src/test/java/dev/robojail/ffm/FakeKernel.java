package dev.robojail.ffm;

import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A {@link Kernel} that records every call and answers from a script, for tests of the logic around
 * system calls (youki's {@code syscall/test.rs} is the model). Each call is recorded as a line such
 * as {@code read(5, 8192)} or {@code pidfd_send_signal(7, 9)}.
 *
 * <p>Answers are queued per call name with {@link #on}: a value of the call's type (for {@code
 * read}, the bytes to return: a {@code byte[]}, or {@code 0} for end of file; for {@code write},
 * how many bytes it takes), a {@link RuntimeException} to throw (usually {@link #errno}), or a
 * {@link Supplier} evaluated when the call is made (for instance one that blocks, to keep a process
 * alive). A call with nothing queued uses its default, if it has one ({@code close}, {@code
 * pidfd_send_signal}, {@code tcsets} and {@code set_window_size} succeed, {@code write} takes
 * everything, descriptors are numbered from 100), and fails the test otherwise: a fake that invents
 * answers hides bugs.
 */
public final class FakeKernel implements Kernel {
  private final List<String> calls = new ArrayList<>();
  private final Map<String, Deque<Object>> script = new HashMap<>();
  private final Map<String, Object> always = new HashMap<>();
  private final Map<Integer, ByteArrayOutputStream> written = new HashMap<>();
  private int nextFd = 100;

  /** A {@link SyscallException} as the real wrapper of {@code call} would throw it. */
  public static SyscallException errno(String call, int errno) {
    return new SyscallException(call, errno);
  }

  /** Queues answers for the calls named {@code call} ({@code read}, {@code poll}, ...). */
  public synchronized FakeKernel on(String call, Object... answers) {
    script.computeIfAbsent(call, k -> new ArrayDeque<>()).addAll(Arrays.asList(answers));
    return this;
  }

  /**
   * Answers every call named {@code call} with {@code answer} once its queue ({@link #on}) is
   * empty, for calls a background loop repeats.
   */
  public synchronized FakeKernel always(String call, Object answer) {
    always.put(call, answer);
    return this;
  }

  /** The calls made so far, in order. */
  public synchronized List<String> calls() {
    return List.copyOf(calls);
  }

  /** The calls made so far whose name is {@code call}. */
  public synchronized List<String> calls(String call) {
    return calls.stream().filter(c -> c.startsWith(call + "(")).toList();
  }

  /** Everything written to {@code fd}. */
  public synchronized byte[] written(int fd) {
    ByteArrayOutputStream b = written.get(fd);
    return b == null ? new byte[0] : b.toByteArray();
  }

  /** Records the call and takes its next answer, or {@code fallback}'s when none is queued. */
  private Object answer(String name, String args, Supplier<Object> fallback) {
    Object a;
    synchronized (this) {
      calls.add(name + "(" + args + ")");
      Deque<Object> q = script.get(name);
      a = q == null || q.isEmpty() ? always.get(name) : q.poll();
    }
    if (a == null) {
      if (fallback == null) {
        throw new AssertionError("the fake kernel has no answer for " + name + "(" + args + ")");
      }
      a = fallback.get();
    }
    if (a instanceof Supplier<?> s) {
      a = s.get(); // outside the lock: it may block
    }
    if (a instanceof RuntimeException e) {
      throw e;
    }
    return a;
  }

  private synchronized int newFd() {
    return nextFd++;
  }

  @Override
  public int[] pipe2(int flags) {
    return (int[]) answer("pipe2", Flags.open(flags), () -> new int[] {newFd(), newFd()});
  }

  @Override
  public int openat(int dirfd, String path, int flags, int mode) {
    return (Integer)
        answer(
            "openat",
            dirfd
                + ", \""
                + path
                + "\", "
                + Flags.open(flags)
                + ", 0"
                + Integer.toOctalString(mode),
            this::newFd);
  }

  @Override
  public void close(int fd) {
    answer("close", Integer.toString(fd), () -> 0);
  }

  @Override
  public int read(int fd, byte[] b, int off, int len) {
    Object a = answer("read", fd + ", " + len, null);
    if (a instanceof byte[] data) {
      int n = Math.min(len, data.length);
      System.arraycopy(data, 0, b, off, n);
      return n;
    }
    return (Integer) a;
  }

  @Override
  public int write(int fd, byte[] b, int off, int len) {
    int n = (Integer) answer("write", fd + ", " + len, () -> len);
    synchronized (this) {
      written.computeIfAbsent(fd, k -> new ByteArrayOutputStream()).write(b, off, n);
    }
    return n;
  }

  @Override
  public int read(int fd, java.lang.foreign.MemorySegment buffer, int len) {
    Object a = answer("read", fd + ", " + len, null);
    if (a instanceof byte[] data) {
      int n = Math.min(len, data.length);
      java.lang.foreign.MemorySegment.copy(
          data, 0, buffer, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, n);
      return n;
    }
    return (Integer) a;
  }

  @Override
  public int write(int fd, java.lang.foreign.MemorySegment buffer, int len) {
    int n = (Integer) answer("write", fd + ", " + len, () -> len);
    synchronized (this) {
      written
          .computeIfAbsent(fd, k -> new ByteArrayOutputStream())
          .writeBytes(buffer.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
    }
    return n;
  }

  @Override
  public int[] socketpair(int domain, int type) {
    return (int[]) answer("socketpair", domain + ", " + type, () -> new int[] {newFd(), newFd()});
  }

  @Override
  public int accept4(int fd, int flags) {
    return (Integer) answer("accept4", fd + ", " + flags, null);
  }

  @Override
  public int connectTcp(byte[] address, int port, int timeoutMillis) {
    return (Integer)
        answer(
            "connect_tcp",
            java.util.HexFormat.of().formatHex(address) + ", " + port + ", " + timeoutMillis,
            null);
  }

  @Override
  public short[] poll2(int fd1, short events1, int fd2, short events2, int timeoutMillis) {
    return (short[])
        answer(
            "poll2",
            fd1
                + ", 0x"
                + Integer.toHexString(events1)
                + ", "
                + fd2
                + ", 0x"
                + Integer.toHexString(events2),
            null);
  }

  @Override
  public void setNonBlocking(int fd, boolean on) {
    answer("set_nonblocking", fd + ", " + on, () -> 0);
  }

  @Override
  public int setPipeSize(int fd, int size) {
    return (Integer) answer("set_pipe_size", fd + ", " + size, () -> size);
  }

  @Override
  public void setsockopt(int fd, int level, int name, String value) {
    answer("setsockopt", fd + ", " + level + ", " + name + ", " + value, () -> 0);
  }

  @Override
  public long splice(int in, int out, long len, int flags) {
    return ((Number) answer("splice", in + ", " + out + ", " + len + ", " + flags, null))
        .longValue();
  }

  @Override
  public void shutdown(int fd, int how) {
    answer("shutdown", fd + ", " + how, () -> 0);
  }

  @Override
  public int receiveDescriptor(int socket) {
    return (Integer) answer("receive_descriptor", Integer.toString(socket), null);
  }

  @Override
  public short poll(int fd, short events, int timeoutMillis) {
    return ((Number) answer("poll", fd + ", 0x" + Integer.toHexString(events), null)).shortValue();
  }

  @Override
  public int pidfdOpen(int pid, int flags) {
    return (Integer) answer("pidfd_open", pid + ", " + flags, this::newFd);
  }

  @Override
  public void pidfdSendSignal(int pidfd, int signal) {
    answer("pidfd_send_signal", pidfd + ", " + signal, () -> 0);
  }

  @Override
  public SigInfo waitid(int idType, int id, int options) {
    return (SigInfo) answer("waitid", idType + ", " + id + ", " + options, null);
  }

  @Override
  public Rlimit prlimit64(int pid, int resource) {
    return (Rlimit) answer("prlimit64", pid + ", " + resource, null);
  }

  @Override
  public int getuid() {
    return (Integer) answer("getuid", "", () -> 1000);
  }

  @Override
  public int getgid() {
    return (Integer) answer("getgid", "", () -> 1000);
  }

  @Override
  @SuppressWarnings("unchecked")
  public Optional<String> sysctl(String name) {
    return (Optional<String>) answer("sysctl", name, Optional::empty);
  }

  @Override
  public boolean isTerminal(int fd) {
    return (Boolean) answer("is_terminal", Integer.toString(fd), null);
  }

  @Override
  public Termios tcgets(int fd) {
    return (Termios) answer("tcgets", Integer.toString(fd), () -> Termios.of(new byte[60]));
  }

  @Override
  public void tcsets(int fd, Termios modes) {
    answer("tcsets", Integer.toString(fd), () -> 0);
  }

  @Override
  public Pty openPty() {
    return (Pty) answer("open_pty", "", () -> new Pty(newFd(), newFd(), 0));
  }

  @Override
  public int[] windowSize(int fd) {
    return (int[]) answer("window_size", Integer.toString(fd), () -> new int[] {24, 80});
  }

  @Override
  public void setWindowSize(int fd, int rows, int columns) {
    answer("set_window_size", fd + ", " + rows + ", " + columns, () -> 0);
  }
}
