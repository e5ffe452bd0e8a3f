package dev.robojail.net;

import dev.robojail.ffm.Errno;
import dev.robojail.ffm.Kernel;
import dev.robojail.ffm.PollFd;
import dev.robojail.ffm.SyscallException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A port of a running jail's loopback opened on the host's {@code 127.0.0.1}, so that a browser on
 * the host reaches a dev server or an OAuth login callback inside. Each connection accepted on the
 * host gets a connection made inside the jail's own network namespace ({@link Connector}; the JVM
 * cannot enter that namespace, so a helper makes it there and hands it over), and bytes are copied
 * both ways. Only the host's loopback is listened on, and only connections made by the user's own
 * processes are forwarded (the owner of the client's socket, as the kernel lists it). It ends when
 * the jail's PID 1 ends (its pidfd becomes readable) or when closed.
 */
public final class PortForward implements AutoCloseable {
  private static final int BUFFER = 32 * 1024;
  private static final int POLL_MILLIS = 200;
  private static final long STACK = 256 * 1024;

  /** Makes a connection to the forwarded port inside the jail; returns its socket descriptor. */
  @FunctionalInterface
  public interface Connector {
    int connect();
  }

  private final Kernel kernel;
  private final ServerSocket server;
  private final Connector inside;
  private final int pidfd;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final CountDownLatch ended = new CountDownLatch(1);
  private volatile Consumer<String> notes = note -> {};
  private volatile boolean closed;

  private PortForward(Kernel kernel, ServerSocket server, Connector inside, int pidfd) {
    this.kernel = kernel;
    this.server = server;
    this.inside = inside;
    this.pidfd = pidfd;
  }

  /**
   * Listens on {@code 127.0.0.1:hostPort} (0: any free port, see {@link #hostPort()}) and forwards
   * every connection through {@code inside}, until the process of {@code pidfd} (the jail's PID 1)
   * ends or the forward is closed; the forward then closes {@code pidfd}.
   *
   * @throws IOException if the host's port cannot be listened on (in use, say)
   */
  public static PortForward open(Kernel kernel, int hostPort, Connector inside, int pidfd)
      throws IOException {
    ServerSocket server = new ServerSocket();
    try {
      server.bind(
          new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), hostPort));
    } catch (IOException e) {
      server.close();
      throw e;
    }
    PortForward f = new PortForward(kernel, server, inside, pidfd);
    Thread.ofPlatform().daemon().name("robojail-forward-accept").start(f::acceptLoop);
    Thread.ofPlatform().daemon().name("robojail-forward-watch").start(f::watchJail);
    return f;
  }

  /** Where refused or failed connections are reported, one line each; by default nowhere. */
  public void onNote(Consumer<String> listener) {
    this.notes = listener;
  }

  /** The host's port being listened on. */
  public int hostPort() {
    return server.getLocalPort();
  }

  /** Waits until the jail ends or the forward is closed. */
  public void awaitEnd() throws InterruptedException {
    ended.await();
  }

  /** Waits at most {@code timeout}; returns whether the forward has ended. */
  public boolean awaitEnd(long timeout, TimeUnit unit) throws InterruptedException {
    return ended.await(timeout, unit);
  }

  /** How many forwarded connections are open now. */
  public int openConnections() {
    return open.size();
  }

  private void acceptLoop() {
    while (!closed) {
      Socket host;
      try {
        host = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      Thread.ofPlatform()
          .daemon()
          .name("robojail-forward")
          .stackSize(STACK)
          .start(() -> serve(host));
    }
  }

  private void serve(Socket host) {
    open.add(host);
    OptionalInt owner = owner(host.getPort(), server.getLocalPort());
    if (owner.isEmpty() || owner.getAsInt() != kernel.getuid()) {
      // 127.0.0.1 is every local user's: another user's process reaches the jail through nobody.
      notes.accept(
          "refused a connection from "
              + (owner.isEmpty() ? "an unknown process" : "uid " + owner.getAsInt())
              + ": only uid "
              + kernel.getuid()
              + " may use this forward");
      closeQuietly(host);
      open.remove(host);
      return;
    }
    int fd;
    try {
      fd = inside.connect();
    } catch (RuntimeException e) {
      notes.accept("cannot connect inside the jail: " + e.getMessage());
      closeQuietly(host);
      open.remove(host);
      return;
    }
    try {
      Thread toHost =
          Thread.ofPlatform()
              .daemon()
              .name("robojail-forward-out")
              .stackSize(STACK)
              .start(() -> jailToHost(fd, host));
      hostToJail(host, fd);
      toHost.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      closeQuietly(host);
      kernel.close(fd);
      open.remove(host);
    }
  }

  private void hostToJail(Socket host, int fd) {
    byte[] buf = new byte[BUFFER];
    try {
      InputStream in = host.getInputStream();
      int n;
      while ((n = in.read(buf)) > 0) {
        int done = 0;
        while (done < n) {
          done += kernel.write(fd, buf, done, n - done);
        }
      }
      kernel.shutdown(fd, 1); // SHUT_WR: the jail's side reads end of stream
    } catch (IOException | SyscallException e) {
      // either side went away: the other copy ends too
      shutdownQuietly(fd);
    }
  }

  private void jailToHost(int fd, Socket host) {
    byte[] buf = new byte[BUFFER];
    try {
      OutputStream out = host.getOutputStream();
      int n;
      while ((n = kernel.read(fd, buf, 0, buf.length)) > 0) {
        out.write(buf, 0, n);
        out.flush();
      }
      host.shutdownOutput();
    } catch (IOException | SyscallException e) {
      closeQuietly(host);
    }
  }

  /**
   * The uid owning the client's end of a loopback connection from {@code peerPort} to {@code
   * hostPort}, as the kernel lists it in {@code /proc/net/tcp} (or {@code tcp6}, for a client whose
   * socket is IPv6); empty when no such entry is found (the client went away).
   */
  static OptionalInt owner(int peerPort, int hostPort) {
    String local = String.format(":%04X", peerPort);
    String remote = String.format("0100007F:%04X", hostPort);
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      List<String> lines;
      try {
        lines = Files.readAllLines(Path.of(table));
      } catch (IOException e) {
        continue; // no IPv6 here
      }
      for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
        // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid ...
        String[] f = line.strip().split("\\s+");
        if (f.length > 7
            && f[1].endsWith("0100007F" + local)
            && f[2].endsWith(remote)
            && f[7].chars().allMatch(Character::isDigit)) {
          return OptionalInt.of(Integer.parseInt(f[7]));
        }
      }
    }
    return OptionalInt.empty();
  }

  // A pidfd polls readable once its process has exited.
  private void watchJail() {
    try {
      while (!closed) {
        short ready;
        try {
          ready = kernel.poll(pidfd, PollFd.POLLIN, POLL_MILLIS);
        } catch (SyscallException e) {
          if (e.errno() == Errno.EINTR) {
            continue;
          }
          break;
        }
        if (ready != 0) {
          break;
        }
      }
    } finally {
      close();
    }
  }

  /** Stops listening and closes every forwarded connection. Closing twice is harmless. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // nothing is left to release
    }
    for (Socket s : open) {
      closeQuietly(s);
    }
    // Each connection's thread closes its jail side once its copies stop: give them a moment, so
    // that a closed forward holds no descriptor.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!open.isEmpty() && System.nanoTime() < deadline) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    kernel.close(pidfd);
    ended.countDown();
  }

  private void shutdownQuietly(int fd) {
    try {
      kernel.shutdown(fd, 2);
    } catch (SyscallException e) {
      // already gone
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // nothing is left to release
    }
  }
}
