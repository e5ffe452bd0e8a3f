package dev.robojail.net;

import dev.robojail.ffm.Errno;
import dev.robojail.ffm.Kernel;
import dev.robojail.ffm.PollFd;
import dev.robojail.ffm.SyscallException;
import dev.robojail.ffm.Syscalls;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One connection a jail made to a listener of robojail's inside its network namespace, and the
 * host-side {@link Socket} it is relayed to. The jail side is a raw descriptor in another network
 * namespace, so it is read and written through the {@link Kernel} seam. Only the thread that owns
 * the connection writes to or closes the jail side; {@link #abort()} may come from any thread.
 */
final class Relay {
  static final int BUFFER = 64 * 1024;
  static final long STACK = 256 * 1024;
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
  volatile Thread thread;
  volatile Socket upstream;
  private boolean jailClosed;

  Relay(Kernel kernel, int fd, int id, Duration idleTimeout) {
    this.kernel = kernel;
    this.fd = fd;
    this.id = id;
    this.idleTimeout = idleTimeout;
  }

  /**
   * Copies both ways between the jail and {@code s} until both directions have ended (each end's
   * EOF is passed on as a half close) or the connection was idle too long; {@code first} is what
   * the jail already sent and goes to {@code s} first.
   */
  void relay(MemorySegment buf, Socket s, byte[] first) throws IOException {
    upstream = s;
    if (first.length > 0) {
      s.getOutputStream().write(first);
      up.addAndGet(first.length);
    }
    Thread jailToHost =
        Thread.ofPlatform()
            .daemon()
            .name("robojail-relay-" + id + "-up")
            .stackSize(STACK)
            .start(() -> jailToHost(s));
    try {
      hostToJail(buf, s);
    } finally {
      try {
        jailToHost.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void jailToHost(Socket s) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment buf = arena.allocate(BUFFER);
      byte[] bytes = new byte[BUFFER];
      OutputStream out = s.getOutputStream();
      while (true) {
        if (!readable(1000)) {
          if (idle()) {
            abort();
            return;
          }
          continue;
        }
        int n = kernel.read(fd, buf, BUFFER);
        if (n == 0) {
          s.shutdownOutput();
          return;
        }
        MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, 0, bytes, 0, n);
        out.write(bytes, 0, n);
        up.addAndGet(n);
        lastActivity = System.nanoTime();
      }
    } catch (IOException | SyscallException e) {
      abort();
    }
  }

  private void hostToJail(MemorySegment buf, Socket s) throws IOException {
    byte[] bytes = new byte[BUFFER];
    s.setSoTimeout(1000);
    InputStream in = s.getInputStream();
    while (true) {
      int n;
      try {
        n = in.read(bytes);
      } catch (SocketTimeoutException e) {
        if (idle()) {
          abort();
          return;
        }
        continue;
      }
      if (n < 0) {
        try {
          kernel.shutdown(fd, SHUT_WR);
        } catch (SyscallException e) {
          if (e.errno() != ENOTCONN) {
            throw e;
          }
          // the client already went: the download reached its end all the same
        }
        return;
      }
      MemorySegment.copy(bytes, 0, buf, ValueLayout.JAVA_BYTE, 0, n);
      writeJail(buf, n);
      down.addAndGet(n);
      lastActivity = System.nanoTime();
    }
  }

  private boolean idle() {
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

  void writeJail(MemorySegment buf, String text) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    MemorySegment.copy(b, 0, buf, ValueLayout.JAVA_BYTE, 0, b.length);
    writeJail(buf, b.length);
  }

  void writeJail(MemorySegment buf, int n) {
    int done = 0;
    while (done < n) {
      done += kernel.write(fd, buf.asSlice(done), n - done);
    }
  }

  /** Ends the connection from outside its threads: both blocked directions wake up. */
  void abort() {
    synchronized (lock) {
      if (!jailClosed) {
        try {
          kernel.shutdown(fd, Syscalls.SHUT_RDWR);
        } catch (SyscallException e) {
          // already disconnected
        }
      }
    }
    Socket s = upstream;
    if (s != null) {
      closeQuietly(s);
    }
  }

  /** Closes both sides; once only. */
  void close() {
    Socket s = upstream;
    if (s != null) {
      closeQuietly(s);
    }
    synchronized (lock) {
      if (!jailClosed) {
        jailClosed = true;
        kernel.close(fd);
      }
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing is all that was wanted
    }
  }
}
