package dev.robojail.net;

import dev.robojail.ffm.Errno;
import dev.robojail.ffm.Kernel;
import dev.robojail.ffm.PollFd;
import dev.robojail.ffm.SyscallException;
import dev.robojail.ffm.Syscalls;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One connection a jail made to a listener of robojail's inside its network namespace, and the
 * host-side connection it is relayed to. Both are raw descriptors (the jail's lives in another
 * network namespace), read and written through the {@link Kernel} seam, and the bytes between them
 * move with {@code splice(2)} through a pipe per direction: they never enter the JVM, which keeps a
 * busy connection's cost to two threads and no buffers. Only the thread that owns the connection
 * writes to or closes the jail side before the relay starts; {@link #abort()} may come from any
 * thread.
 */
final class Relay {
  /** The buffer a request head is read into. */
  static final int BUFFER = 32 * 1024;

  static final long STACK = 256 * 1024;

  /**
   * The threads that serve connections, one per open connection: platform threads, since a thread
   * blocked in a native call would pin a virtual thread's carrier; kept a minute after their
   * connection ends, since handing a connection to a waiting thread is much quicker than starting
   * one, and it is on every new connection's path.
   */
  static final ExecutorService THREADS =
      Executors.newCachedThreadPool(
          Thread.ofPlatform().daemon().name("robojail-relay-", 0).stackSize(STACK).factory());

  private static final long CHUNK = 1024 * 1024;
  private static final int PIPE = 1024 * 1024;
  private static final int SHUT_WR = 1;
  private static final int ENOTCONN = 107;
  private static final int O_NONBLOCK = 0x800;

  final Kernel kernel;
  final int fd;
  final int id;
  private final Duration idleTimeout;
  private final Object lock = new Object();
  final AtomicLong up = new AtomicLong();
  final AtomicLong down = new AtomicLong();
  private volatile long lastActivity = System.nanoTime();

  /** Counted down when the connection's handler has returned. */
  final CountDownLatch done = new CountDownLatch(1);

  private int hostFd = -1;
  private boolean closed;

  Relay(Kernel kernel, int fd, int id, Duration idleTimeout) {
    this.kernel = kernel;
    this.fd = fd;
    this.id = id;
    this.idleTimeout = idleTimeout;
  }

  /** Takes the host-side connection, which {@link #close()} closes. */
  void host(int hostFd) {
    synchronized (lock) {
      if (closed) {
        kernel.close(hostFd);
        throw new SyscallException("relay " + id + " closed", Errno.EBADF);
      }
      this.hostFd = hostFd;
    }
  }

  /**
   * Copies both ways between the jail and the host until both directions have ended (each end's EOF
   * is passed on as a half close), {@link #abort()}, or the idle timeout; {@code first} is what
   * goes to the host before anything the jail sends from now on. One thread does both directions:
   * both sockets are non-blocking, and it waits in one {@code poll} on both.
   */
  void relay(byte[] first) {
    if (first.length > 0) {
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment b = arena.allocateFrom(ValueLayout.JAVA_BYTE, first);
        int done = 0;
        while (done < first.length) {
          done += kernel.write(hostFd, b.asSlice(done), first.length - done);
        }
      }
      up.addAndGet(first.length);
    }
    Direction toHost = null;
    Direction toJail = null;
    try {
      toHost = new Direction(fd, hostFd, up);
      toJail = new Direction(hostFd, fd, down);
      kernel.setNonBlocking(fd, true);
      kernel.setNonBlocking(hostFd, true);
      while (!(toHost.finished() && toJail.finished())) {
        short[] r =
            kernel.poll2(
                fd,
                (short) (toHost.wantsIn() | toJail.wantsOut()),
                hostFd,
                (short) (toJail.wantsIn() | toHost.wantsOut()),
                1000);
        if (r[0] == 0 && r[1] == 0) {
          if (idle()) {
            return;
          }
          continue;
        }
        if (((r[0] | r[1]) & PollFd.POLLNVAL) != 0) {
          return;
        }
        toHost.step(r[0]);
        toJail.step(r[1]);
      }
    } catch (SyscallException e) {
      abort();
    } finally {
      if (toHost != null) {
        toHost.close();
      }
      if (toJail != null) {
        toJail.close();
      }
    }
  }

  /** One direction: bytes read from {@code from} wait in a pipe until {@code to} takes them. */
  private final class Direction {
    private static final short READY = PollFd.POLLIN | PollFd.POLLHUP | PollFd.POLLERR;
    private final int from;
    private final int to;
    private final AtomicLong count;
    private final int[] pipe;
    private long pending;
    private boolean eof;
    private boolean closedOut;

    Direction(int from, int to, AtomicLong count) {
      this.from = from;
      this.to = to;
      this.count = count;
      this.pipe = kernel.pipe2(Syscalls.O_CLOEXEC | O_NONBLOCK);
      try {
        kernel.setPipeSize(pipe[1], PIPE);
      } catch (SyscallException e) {
        // EPERM past the user's pipe quota: the default size works, more slowly
      }
    }

    short wantsIn() {
      return !eof && pending == 0 ? PollFd.POLLIN : 0;
    }

    short wantsOut() {
      return pending > 0 ? PollFd.POLLOUT : 0;
    }

    boolean finished() {
      return eof && pending == 0;
    }

    /** Moves what it can, given {@code from}'s readiness; returns whether bytes moved. */
    boolean step(short fromReady) {
      boolean moved = false;
      if (!eof && pending == 0 && (fromReady & READY) != 0) {
        long n = splice(from, pipe[1], CHUNK);
        if (n == 0) {
          eof = true;
          halfClose();
        } else if (n > 0) {
          pending = n;
          moved = true;
          lastActivity = System.nanoTime();
        }
      }
      // Straight after a read the other side is usually ready: no poll needed to find out.
      if (pending > 0) {
        long m = splice(pipe[0], to, pending);
        if (m > 0) {
          pending -= m;
          count.addAndGet(m);
          moved = true;
          lastActivity = System.nanoTime();
        }
      }
      if (eof && pending == 0 && !closedOut) {
        halfClose();
      }
      return moved;
    }

    private void halfClose() {
      if (pending > 0 || closedOut) {
        return;
      }
      closedOut = true;
      try {
        kernel.shutdown(to, SHUT_WR);
      } catch (SyscallException e) {
        if (e.errno() != ENOTCONN) {
          throw e;
        }
        // the other end already went: this direction reached its end all the same
      }
    }

    /** A splice that returns -1 when it would block. */
    private long splice(int in, int out, long len) {
      try {
        return kernel.splice(in, out, len, Syscalls.SPLICE_F_MOVE | Syscalls.SPLICE_F_NONBLOCK);
      } catch (SyscallException e) {
        if (e.errno() == Errno.EAGAIN) {
          return -1;
        }
        throw e;
      }
    }

    void close() {
      kernel.close(pipe[0]);
      kernel.close(pipe[1]);
    }
  }

  /** Whether the connection has carried nothing in either direction for its idle timeout. */
  boolean idle() {
    return System.nanoTime() - lastActivity > idleTimeout.toNanos();
  }

  /** Waits up to {@code millis} for the jail side to be readable (or closed). */
  boolean readable(int millis) {
    while (true) {
      try {
        short r = kernel.poll(fd, PollFd.POLLIN, millis);
        if ((r & PollFd.POLLNVAL) != 0) {
          throw new SyscallException("poll(" + fd + ")", Errno.EBADF);
        }
        return r != 0;
      } catch (SyscallException e) {
        if (e.errno() != Errno.EINTR) {
          throw e;
        }
      }
    }
  }

  void writeJail(String text) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    try (Arena arena = Arena.ofConfined()) {
      writeJail(arena.allocateFrom(ValueLayout.JAVA_BYTE, b), b.length);
    }
  }

  void writeJail(MemorySegment buf, int n) {
    int done = 0;
    while (done < n) {
      done += kernel.write(fd, buf.asSlice(done), n - done);
    }
  }

  /** Ends the connection from outside its threads: every blocked call on it returns. */
  void abort() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      for (int d : new int[] {fd, hostFd}) {
        if (d >= 0) {
          try {
            kernel.shutdown(d, Syscalls.SHUT_RDWR);
          } catch (SyscallException e) {
            // already disconnected
          }
        }
      }
    }
  }

  /** Closes both sides; once only. */
  void close() {
    synchronized (lock) {
      if (!closed) {
        closed = true;
        kernel.close(fd);
        if (hostFd >= 0) {
          kernel.close(hostFd);
        }
      }
    }
  }
}
