package dev.robojail.net;

import dev.robojail.ffm.Kernel;
import dev.robojail.ffm.SyscallException;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A jail's only way out: an HTTP proxy served by the JVM on a listening socket that was made inside
 * the jail's own network namespace (so the jail reaches it at {@code 127.0.0.1:}{@value #PORT},
 * while the JVM's connections out are made from the host). It answers {@code CONNECT host:port}
 * (HTTPS, and any TCP to an allowed destination) and plain HTTP requests in absolute form, lets
 * through only what its {@link EgressPolicy} allows, and answers everything else with a 403 naming
 * the host and the configuration line that would allow it.
 *
 * <p>Plain HTTP is one request per connection: the first request and exactly its body are
 * forwarded, and nothing after them (see {@link #forward}).
 *
 * <p>The jail side is a raw descriptor in another network namespace, so it is read and written
 * through the {@link Kernel} seam; so is the host side, and bytes move between them with {@code
 * splice(2)}. Each connection has one pooled platform thread (blocking native calls would pin a
 * virtual thread's carrier), and everything ends with {@link #close()}.
 */
public final class EgressProxy implements AutoCloseable {
  /** The port the proxy listens on inside the jail, on 127.0.0.1. */
  public static final int PORT = 3128;

  private static final byte[] END_OF_HEAD = {'\r', '\n', '\r', '\n'};

  private final Kernel kernel;
  private final EgressPolicy policy;
  private final ConnectionLog log;
  private final JailListener listener;

  private EgressProxy(Kernel kernel, int listenFd, EgressPolicy policy, String name) {
    this.kernel = kernel;
    this.policy = policy;
    this.log = new ConnectionLog(policy.log());
    this.listener =
        new JailListener(
            kernel,
            listenFd,
            policy.limits().maxConnections(),
            policy.limits().idleTimeout(),
            "egress-" + name,
            new JailListener.Handler() {
              @Override
              public void serve(Relay c) {
                EgressProxy.this.serve(c);
              }

              @Override
              public void overflow(Relay c) {
                answer(
                    c, 503, "Service Unavailable", "too many connections at once from this jail");
                log.append(new ConnectionLog.Line(false, "-", 0, 0, 0, "too many connections"));
              }
            });
  }

  /**
   * Serves the listening socket {@code listenFd}, which the proxy now owns and closes.
   *
   * @param name what the proxy's threads are named after, such as the jail's pid
   */
  public static EgressProxy serve(Kernel kernel, int listenFd, EgressPolicy policy, String name) {
    EgressProxy p = new EgressProxy(kernel, listenFd, policy, name);
    p.listener.start();
    return p;
  }

  /** The policy the proxy applies. */
  public EgressPolicy policy() {
    return policy;
  }

  /** How many connections are open now. */
  public int openConnections() {
    return listener.openConnections();
  }

  /** How many connections the proxy has accepted so far. */
  public long connectionsServed() {
    return listener.connectionsServed();
  }

  /** Whether the proxy still accepts connections. */
  public boolean isOpen() {
    return listener.isOpen();
  }

  /**
   * Stops accepting, ends every connection and waits a moment for their threads; the listening
   * socket is closed, so that the jail's clients get "connection refused" from then on.
   */
  @Override
  public void close() {
    listener.close();
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

  private void serve(Relay c) {
    String host = "-";
    int port = 0;
    try {
      Head head = readHead(c);
      Target t = target(head);
      host = t.host;
      port = t.port;
      EgressPolicy.Decision d = policy.decide(t.host, t.port);
      switch (d) {
        case EgressPolicy.Decision.Refused r -> {
          refuse(c, r);
          log.append(new ConnectionLog.Line(false, r.host(), r.port(), 0, 0, r.reason()));
        }
        case EgressPolicy.Decision.Allowed a -> {
          host = a.host();
          Origin origin = t.connect ? null : originRequest(head, t);
          try {
            // exactly the address the policy checked: a second lookup could answer otherwise
            c.host(
                kernel.connectTcp(
                    a.address().getAddress(),
                    t.port,
                    (int) policy.limits().connectTimeout().toMillis()),
                a.address().isLoopbackAddress());
          } catch (SyscallException e) {
            throw new Answer(
                502,
                "Bad Gateway",
                "cannot connect to " + a.host() + ":" + t.port + ": " + e.getMessage());
          }
          if (t.connect) {
            c.writeJail("HTTP/1.1 200 Connection established\r\n\r\n");
            c.relay(head.rest());
            log.append(
                new ConnectionLog.Line(true, a.host(), t.port, c.up.get(), c.down.get(), null));
          } else {
            byte[] after = forward(c, origin, head.rest());
            log.append(
                new ConnectionLog.Line(true, a.host(), t.port, c.up.get(), c.down.get(), null));
            oneRequestOnly(c, after);
          }
        }
      }
    } catch (Answer e) {
      answer(c, e.status, e.phrase, e.getMessage());
      log.append(
          new ConnectionLog.Line(false, host, port, c.up.get(), c.down.get(), e.getMessage()));
    } catch (SyscallException e) {
      log.append(
          new ConnectionLog.Line(
              true, host, port, c.up.get(), c.down.get(), "ended: " + e.getMessage()));
    }
  }

  private void refuse(Relay c, EgressPolicy.Decision.Refused r) {
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
    answer(c, 403, "Forbidden", body.toString());
  }

  /**
   * Reads up to and including the blank line that ends the request head, within the head's size and
   * time limits (a client that trickles its head, slowloris-style, is cut off at the deadline, not
   * at each byte).
   */
  private Head readHead(Relay c) throws Answer {
    try (Arena arena = Arena.ofConfined()) {
      return readHead(c, arena.allocate(Relay.BUFFER));
    }
  }

  private Head readHead(Relay c, MemorySegment buf) throws Answer {
    ByteArrayOutputStream acc = new ByteArrayOutputStream();
    long deadline = System.nanoTime() + policy.limits().headerTimeout().toNanos();
    int max = policy.limits().maxHeaderBytes();
    while (true) {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        throw new Answer(408, "Request Timeout", "the request head took too long");
      }
      if (!c.readable((int) Math.min(left, Integer.MAX_VALUE))) {
        continue;
      }
      int n = kernel.read(c.fd, buf, (int) Math.min(Relay.BUFFER, max + 4L - acc.size()));
      if (n <= 0) {
        throw new Answer(400, "Bad Request", "the connection ended before the request head");
      }
      acc.write(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), 0, n);
      byte[] all = acc.toByteArray();
      int end = indexOf(all, END_OF_HEAD);
      if (end >= 0) {
        byte[] rest = Arrays.copyOfRange(all, end + 4, all.length);
        return parse(new String(all, 0, end, StandardCharsets.ISO_8859_1), rest);
      }
      if (all.length > max) {
        throw new Answer(431, "Request Header Fields Too Large", "the request head is too long");
      }
    }
  }

  private static Head parse(String head, byte[] rest) throws Answer {
    if (head.indexOf('\0') >= 0) {
      throw new Answer(400, "Bad Request", "the request head contains a NUL byte");
    }
    List<String> lines = List.of(head.split("\r\n", -1));
    for (String line : lines) {
      // A bare CR or LF is a line break to some servers and not to others: the same bytes
      // would be two different requests.
      if (line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0) {
        throw new Answer(400, "Bad Request", "a bare CR or LF in the request head");
      }
    }
    String[] request = lines.getFirst().split(" ", -1);
    if (request.length != 3 || !request[2].startsWith("HTTP/1.")) {
      throw new Answer(400, "Bad Request", "not an HTTP/1 request line");
    }
    return new Head(request[0], request[1], lines.subList(1, lines.size()), rest);
  }

  private record Target(boolean connect, String host, int port, String authority, String path) {}

  private static Target target(Head h) throws Answer {
    if (h.method().equals("CONNECT")) {
      String[] hp = hostPort(h.target(), -1);
      return new Target(true, hp[0], Integer.parseInt(hp[1]), h.target(), null);
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
    return new Target(false, hp[0], Integer.parseInt(hp[1]), authority, path);
  }

  private static String[] hostPort(String authority, int defaultPort) throws Answer {
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
   * The request as the destination server expects it: origin form, one request, no proxy headers,
   * and the {@code Host} the policy checked (a client's own {@code Host} could name another site
   * behind the same address). A head whose body length two servers could read differently (both
   * {@code Content-Length} and {@code Transfer-Encoding}, two lengths, an encoding other than
   * {@code chunked}, a folded or malformed header line) is refused: what follows it could be read
   * by the destination as a second request the policy never saw.
   */
  private static Origin originRequest(Head h, Target t) throws Answer {
    StringBuilder b = new StringBuilder();
    b.append(h.method()).append(' ').append(t.path).append(" HTTP/1.1\r\n");
    b.append("Host: ").append(t.authority).append("\r\n");
    String length = null;
    boolean chunked = false;
    for (String line : h.headers()) {
      int colon = line.indexOf(':');
      if (colon <= 0 || line.charAt(0) == ' ' || line.charAt(0) == '\t') {
        throw new Answer(400, "Bad Request", "a malformed or folded header line");
      }
      String raw = line.substring(0, colon);
      if (!raw.chars().allMatch(EgressProxy::isTokenChar)) {
        throw new Answer(400, "Bad Request", "a header name with characters HTTP does not allow");
      }
      String name = raw.toLowerCase(Locale.ROOT);
      String value = line.substring(colon + 1).strip();
      switch (name) {
        case "content-length" -> {
          if (!value.matches("[0-9]{1,18}") || (length != null && !length.equals(value))) {
            throw new Answer(400, "Bad Request", "an invalid or repeated Content-Length");
          }
          length = value;
        }
        case "transfer-encoding" -> {
          if (chunked || !value.equalsIgnoreCase("chunked")) {
            throw new Answer(400, "Bad Request", "a Transfer-Encoding other than one chunked");
          }
          chunked = true;
        }
        default -> {}
      }
      if (name.equals("host")
          || name.startsWith("proxy-")
          || name.equals("connection")
          || name.equals("keep-alive")) {
        continue;
      }
      b.append(line).append("\r\n");
    }
    if (chunked && length != null) {
      throw new Answer(400, "Bad Request", "both Content-Length and Transfer-Encoding");
    }
    b.append("Connection: close\r\n\r\n");
    return new Origin(
        b.toString().getBytes(StandardCharsets.ISO_8859_1),
        length == null ? 0 : Long.parseLong(length),
        chunked);
  }

  /** A request rewritten for its server: the head, and how its body is framed. */
  private record Origin(byte[] head, long length, boolean chunked) {}

  /**
   * Sends one request and its body to the server, and relays the answer until the server closes (it
   * was asked to with {@code Connection: close}). Nothing the client sends after the body reaches
   * the server: a second request on the connection, which could name another host, is never
   * forwarded. Returns the bytes the client sent after the body that were already read.
   */
  private byte[] forward(Relay c, Origin o, byte[] rest) throws Answer {
    if (!o.chunked()) {
      int inRest = (int) Math.min(rest.length, o.length());
      byte[] first = Arrays.copyOf(o.head(), o.head().length + inRest);
      System.arraycopy(rest, 0, first, o.head().length, inRest);
      c.relay(first, o.length() - inRest);
      c.up.addAndGet(-o.head().length);
      return Arrays.copyOfRange(rest, inRest, rest.length);
    }
    ChunkedBody body = new ChunkedBody(policy.limits().maxHeaderBytes());
    c.writeHost(o.head(), 0, o.head().length);
    byte[] after;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment buf = arena.allocate(Relay.BUFFER);
      byte[] piece = rest;
      while (true) {
        int used = body.feed(piece, 0, piece.length);
        c.writeHost(piece, 0, used);
        c.up.addAndGet(used);
        if (body.done()) {
          after = Arrays.copyOfRange(piece, used, piece.length);
          break;
        }
        if (!c.readable((int) policy.limits().idleTimeout().toMillis())) {
          throw new Answer(408, "Request Timeout", "the chunked body stopped coming");
        }
        int n = kernel.read(c.fd, buf, Relay.BUFFER);
        if (n <= 0) {
          throw new Answer(400, "Bad Request", "the connection ended inside the chunked body");
        }
        piece = buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
      }
    } catch (IllegalArgumentException e) {
      throw new Answer(400, "Bad Request", e.getMessage());
    }
    c.relay(new byte[0], 0);
    return after;
  }

  /**
   * Ends a plain-HTTP connection after its one request: the answer has been sent and the write side
   * shut; what the client still sends is read and dropped for a moment, so that closing with unread
   * bytes does not reset the connection under the answer's last bytes. A second request found there
   * is logged as refused: clients that keep connections alive see {@code Connection: close} or the
   * end of the connection, and send it again on a new one.
   */
  private void oneRequestOnly(Relay c, byte[] after) {
    ByteArrayOutputStream next = new ByteArrayOutputStream();
    next.writeBytes(after);
    try (Arena arena = Arena.ofConfined()) {
      c.shutdownJailWrite();
      MemorySegment buf = arena.allocate(Relay.BUFFER);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
      while (next.size() < policy.limits().maxHeaderBytes() + 4) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0 || !c.readable((int) left)) {
          break;
        }
        int n = kernel.read(c.fd, buf, Relay.BUFFER);
        if (n <= 0) {
          break;
        }
        next.write(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), 0, n);
      }
    } catch (SyscallException e) {
      // the client went: nothing more to read
    }
    byte[] all = next.toByteArray();
    if (all.length == 0) {
      return;
    }
    String host = "-";
    int port = 0;
    int end = indexOf(all, END_OF_HEAD);
    if (end >= 0) {
      try {
        Target t = target(parse(new String(all, 0, end, StandardCharsets.ISO_8859_1), new byte[0]));
        host = t.host;
        port = t.port;
      } catch (Answer e) {
        // not a request the proxy could have served anyway
      }
    }
    log.append(
        new ConnectionLog.Line(
            false, host, port, 0, 0, "a second request on one connection: one request each"));
  }

  private static boolean isTokenChar(int c) {
    return c > 32 && c < 127 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0;
  }

  /** Answers with an error status and a plain-text body; best effort. */
  private static void answer(Relay c, int status, String phrase, String body) {
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
      c.writeJail(buf, h.length + b.length);
    } catch (SyscallException e) {
      // the client went away: nobody to tell
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
