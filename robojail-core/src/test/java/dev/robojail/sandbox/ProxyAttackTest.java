package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import dev.robojail.ffm.Await;
import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.net.Allowlist;
import dev.robojail.net.EgressPolicy;
import dev.robojail.net.EgressProxy;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a client inside can try against the proxy, tried for real from a sandbox with raw sockets
 * (Python): requests whose body two servers would frame differently (smuggling), a {@code Host}
 * that names another site than the checked one, a name that resolves elsewhere the second time (the
 * proxy resolves once and connects to what it checked), a trickled head (slowloris), more
 * connections than the limit, a head larger than the limit, and a tunnel left idle.
 */
@NeedsUserNamespaces
class ProxyAttackTest {
  private static HttpServer upstream;
  private static int port;
  private static final List<String> hosts = new CopyOnWriteArrayList<>();
  private static final Map<String, AtomicInteger> lookups = new ConcurrentHashMap<>();
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws IOException {
    upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    upstream.setExecutor(Executors.newCachedThreadPool());
    upstream.createContext(
        "/",
        x -> {
          hosts.add(x.getRequestHeaders().getFirst("Host"));
          byte[] b = "ok\n".getBytes(StandardCharsets.UTF_8);
          x.sendResponseHeaders(200, b.length);
          try (OutputStream o = x.getResponseBody()) {
            o.write(b);
          }
        });
    upstream.start();
    port = upstream.getAddress().getPort();
  }

  @AfterAll
  static void stop() {
    if (upstream != null) {
      upstream.stop(0);
    }
  }

  @BeforeEach
  void clear() {
    hosts.clear();
    lookups.clear();
  }

  // Names answer the local server; rebind.test only at its first lookup, a private address after.
  private static EgressPolicy policy(Path log, EgressPolicy.Limits limits) {
    return EgressPolicy.of(
            Allowlist.parse(List.of("allowed.test", "rebind.test", "127.0.0.1:" + port)))
        .withResolver(
            name ->
                lookups.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet() == 1
                        || !name.equals("rebind.test")
                    ? List.of(InetAddress.ofLiteral("127.0.0.1"))
                    : List.of(InetAddress.ofLiteral("10.0.0.1")))
        .withLimits(limits)
        .withLog(log);
  }

  // Small limits, so that hitting one takes seconds; 4 KiB heads, 5 s to connect.
  private static EgressPolicy.Limits limits(int connections, Duration head, Duration idle) {
    return new EgressPolicy.Limits(connections, 4096, head, Duration.ofSeconds(5), idle);
  }

  private static final String HELPERS =
      """
      import socket, sys, time
      def conn():
          s = socket.create_connection(('127.0.0.1', %d))
          s.settimeout(20)
          return s
      def status(s):
          got = b''
          while b'\\r\\n' not in got:
              b = s.recv(4096)
              if not b:
                  return 'closed'
              got += b
          return got.split(b'\\r\\n')[0].decode()
      def ask(raw):
          s = conn()
          s.sendall(raw)
          print(status(s), flush=True)
          s.close()
      """
          .formatted(EgressProxy.PORT);

  private static String run(EgressPolicy policy, String script) throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs /usr/bin/python3");
    Path file = Files.createTempFile(dir, "attack", ".py");
    Files.writeString(file, HELPERS + script);
    SandboxProcess p =
        Sandbox.builder()
            .minimalSystem()
            .network(Network.proxy(policy))
            .readOnlyBind(file, "/attack.py")
            .env("PATH", "/usr/bin:/bin")
            .command("python3", "/attack.py")
            .stdout(Stdio.pipe())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    return out;
  }

  @Test
  void headsThatTwoServersWouldFrameDifferentlyAreRefusedBeforeAnyConnection() throws Exception {
    String get = "GET http://allowed.test:" + port + "/ HTTP/1.1\\r\\nHost: allowed.test\\r\\n";
    String out =
        run(
            policy(dir.resolve("smuggle.log"), EgressPolicy.Limits.DEFAULT),
            String.join(
                "\n",
                "ask(b'" + get + "Content-Length: 5\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n')",
                "ask(b'" + get + "Content-Length: 5\\r\\nContent-Length: 6\\r\\n\\r\\n')",
                "ask(b'" + get + "Transfer-Encoding: chunked, identity\\r\\n\\r\\n')",
                "ask(b'"
                    + get
                    + "Transfer-Encoding: chunked\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n')",
                "ask(b'" + get + "X-A: 1\\r\\n Transfer-Encoding: chunked\\r\\n\\r\\n')",
                "ask(b'" + get + "X-A: 1\\nTransfer-Encoding: chunked\\r\\n\\r\\n')",
                "ask(b'" + get + "Content-Length : 5\\r\\n\\r\\n')",
                "ask(b'" + get + "Content-Length: +5\\r\\n\\r\\n')",
                // and a well-formed request still goes through
                "ask(b'" + get + "Content-Length: 0\\r\\n\\r\\n')",
                ""));
    assertEquals("HTTP/1.1 400 Bad Request\n".repeat(8) + "HTTP/1.1 200 OK\n", out);
    assertEquals(1, hosts.size(), "only the well-formed request reached the server: " + hosts);
  }

  /**
   * Spellings of a loopback address or of an allowed name that some parser, resolver or kernel
   * would read as a place the allowlist does not list: numeric forms, IPv6 forms of loopback and of
   * mapped, NAT64 and scoped addresses, a second trailing dot, %-encoding, user names, a Unicode
   * lookalike. Each is refused before anything is connected to; the allowed name in other case and
   * with one trailing dot still goes through.
   */
  @Test
  void otherSpellingsOfLoopbackOrOfAnAllowedNameAreRefusedBeforeAnyConnection() throws Exception {
    List<String> refused =
        List.of(
            "2130706433",
            "0x7f000001",
            "0177.0.0.1",
            "127.1",
            "127.000.000.001",
            "127.0.0.1.",
            "0.0.0.0",
            "localhost",
            "LOCALHOST.",
            "[::1]",
            "[0:0:0:0:0:0:0:1]",
            "[::]",
            "[::ffff:127.0.0.2]",
            "[64:ff9b::7f00:1]",
            "[fe80::1%25lo]",
            "[fe80::1%lo]",
            "allowed.test..",
            "allowed.test%2e",
            "allowed%2etest",
            "allowed.test%00.evil",
            "evil@allowed.test",
            "allowed.test@127.0.0.1",
            "\u0430llowed.test");
    StringBuilder script = new StringBuilder();
    for (String host : refused) {
      String py = host.replace("\\", "\\\\").replace("'", "\\'");
      script
          .append("ask(('CONNECT ")
          .append(py)
          .append(':')
          .append(port)
          .append(" HTTP/1.1\\r\\nHost: allowed.test\\r\\n\\r\\n').encode())\n")
          .append("ask(('GET http://")
          .append(py)
          .append(':')
          .append(port)
          .append("/ HTTP/1.1\\r\\nHost: allowed.test\\r\\n\\r\\n').encode())\n");
    }
    for (String allowed : List.of("ALLOWED.Test", "allowed.test.")) {
      script
          .append("ask(b'GET http://")
          .append(allowed)
          .append(':')
          .append(port)
          .append("/ HTTP/1.1\\r\\n\\r\\n')\n");
    }
    String out =
        run(policy(dir.resolve("spellings.log"), EgressPolicy.Limits.DEFAULT), script.toString());
    List<String> lines = out.lines().toList();
    assertEquals(2 * refused.size() + 2, lines.size(), out);
    for (int i = 0; i < 2 * refused.size(); i++) {
      assertTrue(
          lines.get(i).startsWith("HTTP/1.1 403 ") || lines.get(i).startsWith("HTTP/1.1 400 "),
          refused.get(i / 2) + (i % 2 == 0 ? " (CONNECT)" : " (GET)") + ": " + lines.get(i));
    }
    assertEquals(
        List.of("HTTP/1.1 200 OK", "HTTP/1.1 200 OK"),
        lines.subList(lines.size() - 2, lines.size()));
    assertEquals(2, hosts.size(), "only the allowed name's two requests arrived: " + hosts);
  }

  @Test
  void theDestinationSeesTheCheckedHostNotTheClientsOwn() throws Exception {
    String out =
        run(
            policy(dir.resolve("host.log"), EgressPolicy.Limits.DEFAULT),
            "ask(b'GET http://allowed.test:"
                + port
                + "/ HTTP/1.1\\r\\nHost: evil.example\\r\\nhost: evil2.example\\r\\n\\r\\n')\n");
    assertEquals("HTTP/1.1 200 OK\n", out);
    assertEquals(List.of("allowed.test:" + port), hosts);
  }

  @Test
  void aNameIsResolvedOnceAndTheCheckedAddressIsTheOneConnectedTo() throws Exception {
    // Were the name looked up again to connect, the second answer (10.0.0.1) would be used.
    String out =
        run(
            policy(dir.resolve("toctou.log"), EgressPolicy.Limits.DEFAULT),
            "s = conn()\n"
                + "s.sendall(b'CONNECT rebind.test:"
                + port
                + " HTTP/1.1\\r\\n\\r\\n')\n"
                + "print(status(s), flush=True)\n"
                + "s.sendall(b'GET / HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n')\n"
                + "print(status(s), flush=True)\n");
    assertEquals("HTTP/1.1 200 Connection established\nHTTP/1.1 200 OK\n", out);
    assertEquals(1, lookups.get("rebind.test").get());
  }

  @Test
  void aTrickledHeadIsCutOffAtItsDeadlineAndAHugeHeadIsRefused() throws Exception {
    EgressPolicy.Limits limits = limits(8, Duration.ofSeconds(2), Duration.ofMinutes(1));
    String out =
        run(
            policy(dir.resolve("slow.log"), limits),
            // one byte every 200 ms: each byte is in time, the head as a whole is not
            "s = conn()\n"
                + "t = time.time()\n"
                + "try:\n"
                + "    for c in b'GET http://allowed.test/ HTTP/1.1\\r\\nX: ' + b'a' * 100:\n"
                + "        s.send(bytes([c])); time.sleep(0.2)\n"
                + "except OSError:\n"
                + "    pass\n"
                + "print(status(s), 'in time' if time.time() - t < 10 else 'late', flush=True)\n"
                + "ask(b'GET http://allowed.test/ HTTP/1.1\\r\\nX: ' + b'a' * 5000 + b'\\r\\n\\r\\n')\n");
    assertEquals(
        "HTTP/1.1 408 Request Timeout in time\nHTTP/1.1 431 Request Header Fields Too Large\n",
        out);
  }

  @Test
  void connectionsPastTheLimitAreAnswered503AndLogged() throws Exception {
    Path log = dir.resolve("many.log");
    EgressPolicy.Limits limits = limits(3, Duration.ofSeconds(30), Duration.ofMinutes(1));
    String out =
        run(
            policy(log, limits),
            "held = [conn() for _ in range(3)]\n"
                + "time.sleep(0.5)\n"
                + "ask(b'')\n"
                + "for s in held: s.close()\n");
    assertEquals("HTTP/1.1 503 Service Unavailable\n", out);
    assertTrue(Files.readString(log).contains("\trefused\t-\t0\t0\t0\ttoo many connections"));
  }

  @Test
  void aTunnelThatCarriesNothingIsClosedAfterTheIdleTimeout() throws Exception {
    Path log = dir.resolve("idle.log");
    EgressPolicy.Limits limits = limits(8, Duration.ofSeconds(30), Duration.ofSeconds(2));
    String out =
        run(
            policy(log, limits),
            "s = conn()\n"
                + "s.sendall(b'CONNECT allowed.test:"
                + port
                + " HTTP/1.1\\r\\n\\r\\n')\n"
                + "print(status(s), flush=True)\n"
                + "t = time.time()\n"
                + "print('closed' if s.recv(1) == b'' else 'data', 'in time' if time.time() - t < 15 else 'late')\n");
    assertEquals("HTTP/1.1 200 Connection established\nclosed in time\n", out);
    Await.until("the tunnel's log line", () -> read(log).contains("\tallowed\tallowed.test\t"));
  }

  private static String read(Path log) {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "";
    }
  }
}
