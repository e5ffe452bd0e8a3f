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
import java.util.concurrent.RejectedExecutionException;
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
   * The threads that serve connections, two per open connection: platform threads, since a thread
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
   * is passed on as a half close) or {@link #abort()}; {@code first} is what goes to the host
   * before anything the jail sends from now on.
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
    CountDownLatch upDone = new CountDownLatch(1);
    try {
      THREADS.execute(
          () -> {
            try {
              pump(fd, hostFd, up);
            } finally {
              upDone.countDown();
            }
          });
    } catch (RejectedExecutionException | OutOfMemoryError e) {
      abort();
      return;
    }
    try {
      pump(hostFd, fd, down);
    } finally {
      try {
        upDone.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void pump(int from, int to, AtomicLong count) {
    int[] pipe;
    try {
      pipe = kernel.pipe2(Syscalls.O_CLOEXEC);
      try {
        kernel.setPipeSize(pipe[1], PIPE);
      } catch (SyscallException e) {
        // EPERM past the user's pipe quota: the default size works, more slowly
      }
    } catch (SyscallException e) {
      abort();
      return;
    }
    try {
      while (true) {
        long n = kernel.splice(from, pipe[1], CHUNK, Syscalls.SPLICE_F_MOVE);
        if (n == 0) {
          try {
            kernel.shutdown(to, SHUT_WR);
          } catch (SyscallException e) {
            if (e.errno() != ENOTCONN) {
              throw e;
            }
            // the other end already went: this direction reached its end all the same
          }
          return;
        }
        lastActivity = System.nanoTime();
        while (n > 0) {
          long m = kernel.splice(pipe[0], to, n, Syscalls.SPLICE_F_MOVE);
          n -= m;
          count.addAndGet(m);
        }
        lastActivity = System.nanoTime();
      }
    } catch (SyscallException e) {
      abort();
    } finally {
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
