package dev.robojail.net;

import dev.robojail.ffm.Kernel;
import dev.robojail.ffm.PollFd;
import dev.robojail.ffm.SyscallException;
import dev.robojail.ffm.Syscalls;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A jail's only way out: an HTTP proxy served by the JVM on a listening socket that was made inside
 * the jail's own network namespace (so the jail reaches it at {@code 127.0.0.1:}{@value #PORT},
 * while the JVM's connections out are made from the host). It answers {@code CONNECT host:port}
 * (HTTPS, and any TCP to an allowed destination) and plain HTTP requests in absolute form, lets
 * through only what its {@link EgressPolicy} allows, and answers everything else with a 403 naming
 * the host and the configuration line that would allow it.
 *
 * <p>The jail side is a raw descriptor in another network namespace, so it is read and written
 * through the {@link Kernel} seam; the host side is an ordinary {@link Socket}. Each connection has
 * two platform threads, one per direction, and everything ends with {@link #close()}.
 */
public final class EgressProxy implements AutoCloseable {
  /** The port the proxy listens on inside the jail, on 127.0.0.1. */
  public static final int PORT = 3128;

  private static final int BUFFER = 32 * 1024;
  private static final long STACK = 256 * 1024;
  private static final int SHUT_WR = 1;
  private static final int ENOTCONN = 107;
  private static final int SOCK_CLOEXEC = 0x80000;
  private static final byte[] END_OF_HEAD = {'\r', '\n', '\r', '\n'};

  private final Kernel kernel;
  private final int listenFd;
  private final EgressPolicy policy;
  private final ConnectionLog log;
  private final Semaphore slots;
  private final Set<Connection> live = ConcurrentHashMap.newKeySet();
  private final AtomicInteger ids = new AtomicInteger();
  private final AtomicLong served = new AtomicLong();
  private final Thread acceptor;
  private volatile boolean closed;

  private EgressProxy(Kernel kernel, int listenFd, EgressPolicy policy, String name) {
    this.kernel = kernel;
    this.listenFd = listenFd;
    this.policy = policy;
    this.log = new ConnectionLog(policy.log());
    this.slots = new Semaphore(policy.limits().maxConnections());
    this.acceptor =
        Thread.ofPlatform()
            .daemon()
            .name("robojail-egress-" + name)
            .stackSize(STACK)
            .unstarted(this::acceptLoop);
  }

  /**
   * Serves the listening socket {@code listenFd}, which the proxy now owns and closes.
   *
   * @param name what the proxy's threads are named after, such as the jail's pid
   */
  public static EgressProxy serve(Kernel kernel, int listenFd, EgressPolicy policy, String name) {
    EgressProxy p = new EgressProxy(kernel, listenFd, policy, name);
    p.acceptor.start();
    return p;
  }

  /** The policy the proxy applies. */
  public EgressPolicy policy() {
    return policy;
  }

  /** How many connections are open now. */
  public int openConnections() {
    return live.size();
  }

  /** How many connections the proxy has accepted so far. */
  public long connectionsServed() {
    return served.get();
  }

  /** Whether the proxy still accepts connections. */
  public boolean isOpen() {
    return !closed;
  }

  private void acceptLoop() {
    while (!closed) {
      int fd;
      try {
        fd = kernel.accept4(listenFd, SOCK_CLOEXEC);
      } catch (SyscallException e) {
        if (closed) {
          break;
        }
        pause(); // EMFILE and the like: the jail's clients wait in the backlog meanwhile
        continue;
      }
      served.incrementAndGet();
      Connection c = new Connection(fd, ids.incrementAndGet());
      if (!slots.tryAcquire()) {
        c.answer(503, "Service Unavailable", "too many connections at once from this jail");
        log.append(new ConnectionLog.Line(false, "-", 0, 0, 0, "too many connections"));
        c.closeJailSide();
        continue;
      }
      live.add(c);
      if (closed) {
        c.abort();
      }
      try {
        Thread.ofPlatform()
            .daemon()
            .name("robojail-egress-" + c.id)
            .stackSize(STACK)
            .start(c::serve);
      } catch (OutOfMemoryError e) {
        live.remove(c);
        slots.release();
        c.closeJailSide();
      }
    }
  }

  private static void pause() {
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Stops accepting, ends every connection and waits a moment for their threads; the listening
   * socket is closed, so that the jail's clients get "connection refused" from then on.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      kernel.shutdown(listenFd, Syscalls.SHUT_RDWR); // wakes the acceptor
    } catch (SyscallException e) {
      // not listening any more: the acceptor has nothing to wait for
    }
    join(acceptor);
    kernel.close(listenFd);
    List<Connection> open = new ArrayList<>(live);
    open.forEach(Connection::abort);
    for (Connection c : open) {
      join(c.thread);
    }
  }

  private static void join(Thread t) {
    if (t == null) {
      return;
    }
    try {
      t.join(TimeUnit.SECONDS.toMillis(2));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A request head: the request line's parts and the header lines, plus what followed them. */
  private record Head(String method, String target, List<String> headers, byte[] rest) {}

  /** Thrown to answer the client with an error status and end the connection. */
  private static final class Answer extends Exception {
    private static final long serialVersionUID = 1L;
    final int status;
    final String phrase;

    Answer(int status, String phrase, String message) {
      super(message, null, false, false);
      this.status = status;
      this.phrase = phrase;
    }
  }

  private final class Connection {
    final int fd;
    final int id;
    final Object lock = new Object();
    final AtomicLong up = new AtomicLong();
    final AtomicLong down = new AtomicLong();
    volatile long lastActivity = System.nanoTime();
    volatile Thread thread;
    volatile Socket upstream;
    boolean jailClosed;

    Connection(int fd, int id) {
      this.fd = fd;
      this.id = id;
    }

    void serve() {
      thread = Thread.currentThread();
      String host = "-";
      int port = 0;
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment buf = arena.allocate(BUFFER);
        Head head;
        try {
          head = readHead(buf);
          Target t = target(head);
          host = t.host;
          port = t.port;
          EgressPolicy.Decision d = policy.decide(t.host, t.port);
          switch (d) {
            case EgressPolicy.Decision.Refused r -> {
              refuse(r);
              log.append(new ConnectionLog.Line(false, r.host(), r.port(), 0, 0, r.reason()));
              return;
            }
            case EgressPolicy.Decision.Allowed a -> {
              host = a.host();
              Socket s = new Socket();
              upstream = s;
              try {
                s.connect(
                    new InetSocketAddress(a.address(), t.port),
                    (int) policy.limits().connectTimeout().toMillis());
                s.setTcpNoDelay(true);
              } catch (IOException e) {
                throw new Answer(
                    502,
                    "Bad Gateway",
                    "cannot connect to " + a.host() + ":" + t.port + ": " + e.getMessage());
              }
              OutputStream out = s.getOutputStream();
              if (t.connect) {
                writeJail(buf, "HTTP/1.1 200 Connection established\r\n\r\n");
              } else {
                out.write(originRequest(head, t.path));
              }
              out.write(head.rest());
              up.addAndGet(head.rest().length);
              relay(buf, s);
              log.append(
                  new ConnectionLog.Line(true, a.host(), t.port, up.get(), down.get(), null));
            }
          }
        } catch (Answer e) {
          answer(e.status, e.phrase, e.getMessage());
          log.append(
              new ConnectionLog.Line(false, host, port, up.get(), down.get(), e.getMessage()));
        } catch (IOException | SyscallException e) {
          log.append(
              new ConnectionLog.Line(
                  true, host, port, up.get(), down.get(), "ended: " + e.getMessage()));
        }
      } finally {
        Socket s = upstream;
        if (s != null) {
          closeQuietly(s);
        }
        closeJailSide();
        live.remove(this);
        slots.release();
      }
    }

    private void refuse(EgressPolicy.Decision.Refused r) {
      StringBuilder body =
          new StringBuilder("robojail refused ")
              .append(r.host())
              .append(':')
              .append(r.port())
              .append(": ")
              .append(r.reason())
              .append('\n');
      if (r.allowLine() != null) {
        body.append("To allow it, add to ")
            .append(policy.configHint())
            .append(":\n  ")
            .append(r.allowLine())
            .append('\n');
      }
      answer(403, "Forbidden", body.toString());
    }

    /** Reads up to and including the blank line that ends the request head. */
    private Head readHead(MemorySegment buf) throws Answer {
      ByteArrayOutputStream acc = new ByteArrayOutputStream();
      long deadline = System.nanoTime() + policy.limits().headerTimeout().toNanos();
      int max = policy.limits().maxHeaderBytes();
      while (true) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          throw new Answer(408, "Request Timeout", "the request head took too long");
        }
        if (!readable((int) Math.min(left, Integer.MAX_VALUE))) {
          continue;
        }
        int n = kernel.read(fd, buf, (int) Math.min(BUFFER, max + 4L - acc.size()));
        if (n <= 0) {
          throw new Answer(400, "Bad Request", "the connection ended before the request head");
        }
        acc.write(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), 0, n);
        byte[] all = acc.toByteArray();
        int end = indexOf(all, END_OF_HEAD);
        if (end >= 0) {
          byte[] rest = java.util.Arrays.copyOfRange(all, end + 4, all.length);
          return parse(new String(all, 0, end, StandardCharsets.ISO_8859_1), rest);
        }
        if (all.length > max) {
          throw new Answer(431, "Request Header Fields Too Large", "the request head is too long");
        }
      }
    }

    private Head parse(String head, byte[] rest) throws Answer {
      if (head.indexOf('\0') >= 0) {
        throw new Answer(400, "Bad Request", "the request head contains a NUL byte");
      }
      List<String> lines = List.of(head.split("\r\n", -1));
      String[] request = lines.getFirst().split(" ", -1);
      if (request.length != 3 || !request[2].startsWith("HTTP/1.")) {
        throw new Answer(400, "Bad Request", "not an HTTP/1 request line");
      }
      return new Head(request[0], request[1], lines.subList(1, lines.size()), rest);
    }

    private record Target(boolean connect, String host, int port, String path) {}

    private Target target(Head h) throws Answer {
      if (h.method().equals("CONNECT")) {
        String[] hp = hostPort(h.target(), -1);
        return new Target(true, hp[0], Integer.parseInt(hp[1]), null);
      }
      String t = h.target();
      if (!t.regionMatches(true, 0, "http://", 0, 7)) {
        throw new Answer(
            400,
            "Bad Request",
            t.regionMatches(true, 0, "https://", 0, 8)
                ? "use CONNECT for https (set HTTPS_PROXY)"
                : "a proxy request names its destination: http://host/path or CONNECT host:port");
      }
      String rest = t.substring(7);
      int slash = rest.indexOf('/');
      String authority = slash < 0 ? rest : rest.substring(0, slash);
      String path = slash < 0 ? "/" : rest.substring(slash);
      if (authority.indexOf('@') >= 0) {
        throw new Answer(400, "Bad Request", "user names in proxied URLs are refused");
      }
      String[] hp = hostPort(authority, 80);
      return new Target(false, hp[0], Integer.parseInt(hp[1]), path);
    }

    private String[] hostPort(String authority, int defaultPort) throws Answer {
      String host;
      String port;
      int close = authority.lastIndexOf(']');
      int colon = authority.lastIndexOf(':');
      if (colon > close) {
        host = authority.substring(0, colon);
        port = authority.substring(colon + 1);
      } else {
        host = authority;
        port = defaultPort < 0 ? "" : Integer.toString(defaultPort);
      }
      if (port.isEmpty()
          || port.length() > 5
          || !port.chars().allMatch(c -> c >= '0' && c <= '9')
          || Integer.parseInt(port) < 1
          || Integer.parseInt(port) > 65535
          || host.isEmpty()) {
        throw new Answer(400, "Bad Request", "the destination must be host:port");
      }
      return new String[] {host, port};
    }

    /**
     * The request as the destination server expects it: origin form, one request, no proxy headers.
     */
    private byte[] originRequest(Head h, String path) {
      StringBuilder b = new StringBuilder();
      b.append(h.method()).append(' ').append(path).append(" HTTP/1.1\r\n");
      for (String line : h.headers()) {
        String name =
            line.substring(0, Math.max(0, line.indexOf(':'))).trim().toLowerCase(Locale.ROOT);
        if (name.startsWith("proxy-") || name.equals("connection") || name.equals("keep-alive")) {
          continue;
        }
        b.append(line).append("\r\n");
      }
      b.append("Connection: close\r\n\r\n");
      return b.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private void relay(MemorySegment buf, Socket s) throws IOException {
      Thread jailToHost =
          Thread.ofPlatform()
              .daemon()
              .name("robojail-egress-" + id + "-up")
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
      return System.nanoTime() - lastActivity > policy.limits().idleTimeout().toNanos();
    }

    /** Waits up to {@code millis} for the jail side to be readable (or closed). */
    private boolean readable(int millis) {
      while (true) {
        try {
          short r = kernel.poll(fd, PollFd.POLLIN, millis);
          if ((r & PollFd.POLLNVAL) != 0) {
            throw new SyscallException("poll(" + fd + ")", dev.robojail.ffm.Errno.EBADF);
          }
          return r != 0;
        } catch (SyscallException e) {
          if (e.errno() != dev.robojail.ffm.Errno.EINTR) {
            throw e;
          }
        }
      }
    }

    private void writeJail(MemorySegment buf, String text) {
      byte[] b = text.getBytes(StandardCharsets.UTF_8);
      MemorySegment.copy(b, 0, buf, ValueLayout.JAVA_BYTE, 0, b.length);
      writeJail(buf, b.length);
    }

    private void writeJail(MemorySegment buf, int n) {
      int done = 0;
      while (done < n) {
        done += kernel.write(fd, buf.asSlice(done), n - done);
      }
    }

    /** Answers with an error status and a plain-text body; best effort. */
    void answer(int status, String phrase, String body) {
      byte[] b = body.getBytes(StandardCharsets.UTF_8);
      String head =
          "HTTP/1.1 "
              + status
              + " "
              + phrase
              + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
              + b.length
              + "\r\nConnection: close\r\n\r\n";
      byte[] h = head.getBytes(StandardCharsets.US_ASCII);
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment buf = arena.allocate(h.length + b.length);
        MemorySegment.copy(h, 0, buf, ValueLayout.JAVA_BYTE, 0, h.length);
        MemorySegment.copy(b, 0, buf, ValueLayout.JAVA_BYTE, h.length, b.length);
        // only the owning thread writes or closes the jail side, so no lock is needed here
        writeJail(buf, h.length + b.length);
      } catch (SyscallException e) {
        // the client went away: nobody to tell
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

    void closeJailSide() {
      synchronized (lock) {
        if (!jailClosed) {
          jailClosed = true;
          kernel.close(fd);
        }
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

  private static int indexOf(byte[] data, byte[] pattern) {
    outer:
    for (int i = 0; i + pattern.length <= data.length; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (data[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
