package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plain HTTP through the proxy is one request per connection: the first request is parsed, checked
 * and forwarded with exactly its body, and nothing the client sends after it reaches any server — a
 * second request on a kept-alive connection (to a refused host or not), pipelined requests, and a
 * request hidden after a chunked or sized body are never forwarded, and are logged as refused.
 * Tried for real from a sandbox with raw sockets (Python) against a real server on the host.
 */
@NeedsUserNamespaces
class ProxyRequestsTest {
  private static HttpServer upstream;
  private static int port;
  private static final List<String> seen = new CopyOnWriteArrayList<>();
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws IOException {
    upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    upstream.setExecutor(Executors.newCachedThreadPool());
    upstream.createContext(
        "/",
        x -> {
          String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.ISO_8859_1);
          seen.add(
              x.getRequestMethod()
                  + " "
                  + x.getRequestURI()
                  + " "
                  + x.getRequestHeaders().getFirst("Host")
                  + " ["
                  + body
                  + "]");
          byte[] b = ("ok " + x.getRequestURI() + "\n").getBytes(StandardCharsets.UTF_8);
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
    seen.clear();
  }

  private static EgressPolicy policy(Path log) {
    return EgressPolicy.of(Allowlist.parse(List.of("allowed.test", "other.test", "127.0.0.1")))
        .withResolver(name -> List.of(InetAddress.ofLiteral("127.0.0.1")))
        .withLimits(
            new EgressPolicy.Limits(
                16, 4096, Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(30)))
        .withLog(log);
  }

  // answers(s): the status lines and the upstream's bodies the client got until the proxy closed
  private static final String HELPERS =
      """
      import re, socket, sys, time
      def conn():
          s = socket.create_connection(('127.0.0.1', %d))
          s.settimeout(20)
          return s
      def until_closed(s):
          got = b''
          try:
              while True:
                  b = s.recv(65536)
                  if not b:
                      break
                  got += b
          except ConnectionResetError:
              pass
          return got
      def answers(s):
          got = until_closed(s).decode('latin-1')
          print('|'.join(re.findall(r'HTTP/1\\.1 \\d{3} [^\\r\\n]*|ok /[^\\n]*', got)), flush=True)
      """
          .formatted(EgressProxy.PORT);

  private static String run(EgressPolicy policy, String script) throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs /usr/bin/python3");
    Path file = Files.createTempFile(dir, "requests", ".py");
    Files.writeString(file, HELPERS + script);
    SandboxProcess p =
        Sandbox.builder()
            .minimalSystem()
            .network(Network.proxy(policy))
            .readOnlyBind(file, "/requests.py")
            .env("PATH", "/usr/bin:/bin")
            .command("python3", "/requests.py")
            .stdout(Stdio.pipe())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    return out.strip();
  }

  @Test
  void namesAreMatchedInAnyCaseAndWithATrailingDotEitherWay() throws Exception {
    String out =
        run(
            policy(dir.resolve("case.log")),
            "s = conn()\n"
                + "s.sendall(b'CONNECT ReFuSeD.TeSt.:"
                + port
                + " HTTP/1.1\\r\\n\\r\\n')\n"
                + "answers(s)\n"
                + "s = conn()\n"
                + "s.sendall(b'GET http://AlLoWeD.TeSt.:"
                + port
                + "/case HTTP/1.1\\r\\n\\r\\n')\n"
                + "answers(s)\n");
    assertEquals("HTTP/1.1 403 Forbidden\nHTTP/1.1 200 OK|ok /case", out);
    assertEquals(1, seen.size(), seen.toString());
  }

  /**
   * A session joining a running sandbox ({@code exec}) has no proxy of its own: it is in the
   * sandbox's network namespace, and its requests go through the first session's proxy, under the
   * same policy and into the same log.
   */
  @Test
  void aJoinedSessionGoesOutThroughTheSandboxsOwnProxy() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs /usr/bin/python3");
    Path log = dir.resolve("joined.log");
    Path file = Files.createTempFile(dir, "joined", ".py");
    Files.writeString(
        file,
        HELPERS
            + "s = conn()\n"
            + "s.sendall(b'"
            + get("allowed.test", "/joined")
            + get("refused.test", "/no")
            + "')\n"
            + "answers(s)\n"
            + "s = conn()\n"
            + "s.sendall(b'"
            + get("refused.test", "/no")
            + "')\n"
            + "answers(s)\n");
    Sandbox.Builder b =
        Sandbox.builder()
            .minimalSystem()
            .network(Network.proxy(policy(log)))
            .readOnlyBind(file, "/joined.py")
            .env("PATH", "/usr/bin:/bin");
    SandboxProcess first =
        b.command("/bin/sh", "-c", "exec sleep 600").stdout(Stdio.discard()).start();
    dev.robojail.ffm.Kernel kernel = dev.robojail.ffm.Kernel.linux();
    int pidfd = kernel.pidfdOpen((int) first.pid(), 0);
    try {
      String result = Jailed.joined(b, (int) first.pid(), pidfd, "python3", "/joined.py");
      assertEquals("0 HTTP/1.1 200 OK|ok /joined\nHTTP/1.1 403 Forbidden", result.strip());
      assertEquals(List.of("GET /joined allowed.test:" + port + " []"), seen);
      assertEquals(2, first.egress().orElseThrow().connectionsServed(), "the first's proxy");
      Await.until(
          "the joined session's lines in the sandbox's log",
          () ->
              read(log).contains("\tallowed\tallowed.test\t" + port + "\t")
                  && read(log).contains("\trefused\trefused.test\t" + port + "\t0\t0\tnot"));
    } finally {
      first.destroy();
      first.waitFor();
      kernel.close(pidfd);
    }
  }

  private String get(String host, String path) {
    return "GET http://"
        + host
        + ":"
        + port
        + path
        + " HTTP/1.1\\r\\nHost: "
        + host
        + "\\r\\n\\r\\n";
  }

  private static String read(Path log) {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "";
    }
  }

  @Test
  void aSecondRequestOnAKeptAliveConnectionNeverReachesAServer() throws Exception {
    Path log = dir.resolve("keepalive.log");
    String out =
        run(
            policy(log),
            // the first answer is read in full before the second request is sent, as a
            // keep-alive client would
            "s = conn()\n"
                + "s.sendall(b'"
                + get("allowed.test", "/one")
                + "')\n"
                + "time.sleep(1)\n"
                + "try:\n"
                + "    s.sendall(b'"
                + get("refused.test", "/two")
                + "')\n"
                + "except OSError:\n"
                + "    pass\n"
                + "answers(s)\n");
    assertEquals("HTTP/1.1 200 OK|ok /one", out);
    assertEquals(List.of("GET /one allowed.test:" + port + " []"), seen);
    Await.until(
        "the second request's log line",
        () -> read(log).contains("\trefused\trefused.test\t" + port + "\t0\t0\ta second request"));
  }

  @Test
  void pipelinedRequestsGetOneAnswerAndOnlyTheFirstIsForwarded() throws Exception {
    Path log = dir.resolve("pipelined.log");
    String out =
        run(
            policy(log),
            "s = conn()\n"
                + "s.sendall(b'"
                + get("allowed.test", "/one")
                + get("other.test", "/two")
                + get("refused.test", "/three")
                + "')\n"
                + "answers(s)\n");
    assertEquals("HTTP/1.1 200 OK|ok /one", out);
    assertEquals(List.of("GET /one allowed.test:" + port + " []"), seen);
    Await.until(
        "the pipelined request's log line",
        () -> read(log).contains("\trefused\tother.test\t" + port + "\t0\t0\ta second request"));
  }

  @Test
  void aChunkedBodyIsForwardedWholeAndARequestHiddenAfterItIsNot() throws Exception {
    String post =
        "POST http://allowed.test:"
            + port
            + "/upload HTTP/1.1\\r\\nHost: allowed.test\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n";
    String out =
        run(
            policy(dir.resolve("chunked.log")),
            // in pieces, with an extension, then a smuggled request (the JDK's server takes no
            // trailers)
            "s = conn()\n"
                + "s.sendall(b'"
                + post
                + "5;name=x\\r\\nhel')\n"
                + "time.sleep(0.3)\n"
                + "s.sendall(b'lo\\r\\n6\\r\\n world\\r\\n0\\r\\n\\r\\n"
                + get("refused.test", "/smuggled")
                + "')\n"
                + "answers(s)\n"
                // a malformed chunk size is a 400 that ends the connection: the server gets no
                // request
                + "s = conn()\n"
                + "s.sendall(b'"
                + post
                + "5\\nhello\\r\\n0\\r\\n\\r\\n')\n"
                + "answers(s)\n");
    assertEquals("HTTP/1.1 200 OK|ok /upload\nHTTP/1.1 400 Bad Request", out);
    assertEquals(List.of("POST /upload allowed.test:" + port + " [hello world]"), seen);
  }

  @Test
  void aSizedBodyEndsAtItsLengthAndWhatFollowsIsNotForwarded() throws Exception {
    String out =
        run(
            policy(dir.resolve("sized.log")),
            "s = conn()\n"
                + "s.sendall(b'POST http://allowed.test:"
                + port
                + "/form HTTP/1.1\\r\\nHost: allowed.test\\r\\nContent-Length: 5\\r\\n\\r\\nhello"
                + get("refused.test", "/smuggled")
                + "')\n"
                + "answers(s)\n");
    assertEquals("HTTP/1.1 200 OK|ok /form", out);
    assertEquals(List.of("POST /form allowed.test:" + port + " [hello]"), seen);
  }

  @Test
  void anOversizedSecondHeadIsNotForwardedAndTheFirstAnswerArrivesWhole() throws Exception {
    Path log = dir.resolve("oversized.log");
    String out =
        run(
            policy(log),
            "s = conn()\n"
                + "s.sendall(b'"
                + get("allowed.test", "/one")
                + "GET http://other.test/ HTTP/1.1\\r\\nX: ' + b'a' * 20000 + b'\\r\\n\\r\\n')\n"
                + "answers(s)\n"
                + "ask = conn()\n"
                + "ask.sendall(b'GET http://allowed.test/ HTTP/1.1\\r\\nX: ' + b'a' * 5000 +"
                + " b'\\r\\n\\r\\n')\n"
                + "answers(ask)\n");
    assertEquals("HTTP/1.1 200 OK|ok /one\nHTTP/1.1 431 Request Header Fields Too Large", out);
    assertEquals(List.of("GET /one allowed.test:" + port + " []"), seen);
    Await.until("the dropped request's log line", () -> read(log).contains("a second request"));
  }
}
