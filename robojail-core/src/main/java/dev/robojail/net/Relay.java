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

  /** The congestion control of a socket that talks over the loopback: see {@link #unpaced}. */
  private static final String LOOPBACK_CONGESTION = "reno";

  private static final int PIPE = 1024 * 1024;
  private static final int DEFAULT_PIPE = 64 * 1024;
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
  private boolean hostOnLoopback;
  private boolean closed;

  Relay(Kernel kernel, int fd, int id, Duration idleTimeout) {
    this.kernel = kernel;
    this.fd = fd;
    this.id = id;
    this.idleTimeout = idleTimeout;
  }

  /**
   * Takes the host-side connection, which {@link #close()} closes; {@code loopback}: its peer is on
   * this machine's loopback too, so that it is not paced either (see {@link #unpaced}).
   */
  void host(int hostFd, boolean loopback) {
    synchronized (lock) {
      if (closed) {
        kernel.close(hostFd);
        throw new SyscallException("relay " + id + " closed", Errno.EBADF);
      }
      this.hostFd = hostFd;
      this.hostOnLoopback = loopback;
    }
  }

  /**
   * Copies both ways between the jail and the host until both directions have ended (each end's EOF
   * is passed on as a half close), {@link #abort()}, or the idle timeout; {@code first} is what
   * goes to the host before anything the jail sends from now on. One thread does both directions:
   * both sockets are non-blocking, and it waits in one {@code poll} on both.
   */
  void relay(byte[] first) {
    relay(first, -1);
  }

  /**
   * As {@link #relay(byte[])}, but only {@code upLimit} more bytes of the jail's are passed on to
   * the host (-1: no limit): what follows them stays unread, and the relay ends when the host side
   * does. That is how one HTTP request, and nothing after it, reaches a server.
   */
  void relay(byte[] first, long upLimit) {
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
      toHost = new Direction(fd, hostFd, up, upLimit);
      toJail = new Direction(hostFd, fd, down, -1);
      kernel.setNonBlocking(fd, true);
      kernel.setNonBlocking(hostFd, true);
      unpaced(fd);
      if (hostOnLoopback) {
        unpaced(hostFd);
      }
      short jailReady = PollFd.POLLIN | PollFd.POLLOUT;
      short hostReady = PollFd.POLLIN | PollFd.POLLOUT;
      while (true) {
        boolean moved = toHost.pump(jailReady, hostReady) | toJail.pump(hostReady, jailReady);
        if (toHost.finished() && toJail.finished()) {
          return;
        }
        // poll reports a hang-up whether asked or not: a side that hung up and let nothing move
        // would wake every poll at once, for ever
        if (!moved && ((jailReady | hostReady) & (PollFd.POLLHUP | PollFd.POLLERR)) != 0) {
          return;
        }
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
        } else if (((r[0] | r[1]) & PollFd.POLLNVAL) != 0) {
          return;
        }
        jailReady = r[0];
        hostReady = r[1];
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

  /**
   * One direction: bytes read from {@code from} wait in a pipe until {@code to} takes them. The
   * pipe is a buffer, not a slot: reading goes on while it has room, so that a slow reader on one
   * side does not stop the other side's sender (each TCP connection keeps its window open), and
   * each wake-up moves everything either side can take before the next {@code poll}.
   */
  private final class Direction {
    private static final short IN = PollFd.POLLIN | PollFd.POLLHUP | PollFd.POLLERR;
    private static final short OUT = PollFd.POLLOUT | PollFd.POLLHUP | PollFd.POLLERR;
    private final int from;
    private final int to;
    private final AtomicLong count;
    private final int[] pipe;
    private final long capacity;
    private long pending;
    private long left;
    private boolean eof;
    private boolean closedOut;

    Direction(int from, int to, AtomicLong count, long limit) {
      this.from = from;
      this.to = to;
      this.count = count;
      this.left = limit;
      if (limit == 0) {
        eof = true;
        closedOut = true; // the limit is not the end of what the jail sends: no half close
      }
      this.pipe = kernel.pipe2(Syscalls.O_CLOEXEC | O_NONBLOCK);
      long size = DEFAULT_PIPE;
      try {
        size = kernel.setPipeSize(pipe[1], PIPE);
      } catch (SyscallException e) {
        // EPERM past the user's pipe quota: the default size works, more slowly
      }
      this.capacity = size;
    }

    short wantsIn() {
      return !eof && pending < capacity ? PollFd.POLLIN : 0;
    }

    short wantsOut() {
      return pending > 0 ? PollFd.POLLOUT : 0;
    }

    boolean finished() {
      return eof && pending == 0;
    }

    /**
     * Moves what it can until both sides would block, given what {@code poll} last said of them. A
     * short read means {@code from} is drained and a short write that {@code to} is full, so
     * neither is tried again before the next {@code poll}: no call is made only to learn EAGAIN.
     */
    boolean pump(short fromReady, short toReady) {
      boolean any = false;
      boolean canRead = (fromReady & IN) != 0;
      boolean canWrite = (toReady & OUT) != 0;
      while (true) {
        boolean moved = false;
        if (canRead && !eof && pending < capacity) {
          long room = left < 0 ? capacity - pending : Math.min(capacity - pending, left);
          long n = splice(from, pipe[1], room);
          if (n == 0) {
            eof = true;
          } else if (n < 0) {
            canRead = false;
          } else {
            pending += n;
            if (left > 0 && (left -= n) == 0) {
              eof = true;
              closedOut = true;
            }
            moved = true;
            canRead = n == room;
            // bytes just read: the other side is usually ready to take them
            canWrite = true;
          }
        }
        if (canWrite && pending > 0) {
          long m = splice(pipe[0], to, pending);
          if (m < 0) {
            canWrite = false;
          } else if (m > 0) {
            pending -= m;
            count.addAndGet(m);
            moved = true;
            canWrite = pending == 0;
          }
        }
        if (moved) {
          lastActivity = System.nanoTime();
          any = true;
        }
        if (eof && pending == 0) {
          halfClose();
          return any;
        }
        if (!moved || !(canRead || canWrite)) {
          return any;
        }
      }
    }

    private void halfClose() {
      if (closedOut) {
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

    private long splice(int in, int out, long len) {
      return kernel.splice(in, out, len, Syscalls.SPLICE_F_MOVE | Syscalls.SPLICE_F_NONBLOCK);
    }

    void close() {
      kernel.close(pipe[0]);
      kernel.close(pipe[1]);
    }
  }

  /**
   * Gives a socket whose peer is on the loopback Reno's congestion control instead of the host's
   * default. The jail side always is (the jail's own loopback), and a loopback has neither loss nor
   * a queue for congestion control to act on; but BBR, the default of many hosts, paces what is
   * sent with timers and updates its model on every ACK. With BBR there, the relay took about 30%
   * more CPU time per GiB and the kernel's softirq threads twice as much (bench/proxy.sh, Reno
   * against BBR in the same runs). Reno is built into every kernel and allowed to every user; a
   * socket to any other address keeps the host's choice.
   */
  private void unpaced(int socket) {
    try {
      kernel.setsockopt(socket, Syscalls.IPPROTO_TCP, Syscalls.TCP_CONGESTION, LOOPBACK_CONGESTION);
    } catch (SyscallException e) {
      // not TCP (a test's socket pair), or a kernel without it: the default carries on
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

  void writeHost(byte[] b, int off, int len) {
    if (len == 0) {
      return;
    }
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment m = arena.allocate(len);
      MemorySegment.copy(b, off, m, ValueLayout.JAVA_BYTE, 0, len);
      int done = 0;
      while (done < len) {
        done += kernel.write(hostFd, m.asSlice(done), len - done);
      }
    }
  }

  /** Ends what goes to the jail (a FIN after everything sent), keeping its side readable. */
  void shutdownJailWrite() {
    kernel.shutdown(fd, SHUT_WR);
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
