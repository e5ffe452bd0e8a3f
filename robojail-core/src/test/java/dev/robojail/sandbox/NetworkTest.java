package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.robojail.ffm.Landlock;
import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.net.Allowlist;
import dev.robojail.net.EgressPolicy;
import dev.robojail.net.EgressProxy;
import dev.robojail.net.ProxyEnvironment;
import dev.robojail.testkit.GitHttpBackend;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sandbox's network for real: its own loopback, and the egress proxy as its only way out. A local
 * server on the host's loopback stands in for the internet; the test's resolver makes the allowed
 * name {@code allowed.test} reach it, and its address is allowed explicitly, as a user would have
 * to. {@code rebind.test} resolves to another loopback address that is not allowed.
 */
@NeedsUserNamespaces
class NetworkTest {
  private static final long BIG = 200L * 1024 * 1024;
  private static HttpServer upstream;
  private static int port;
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws IOException {
    upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
    upstream.setExecutor(Executors.newCachedThreadPool());
    upstream.createContext("/hello", x -> reply(x, "hello from upstream\n"));
    upstream.createContext("/big", NetworkTest::big);
    upstream.createContext("/npm/", NetworkTest::packument);
    upstream.createContext("/simple/", NetworkTest::simpleIndex);
    upstream.createContext("/files/", NetworkTest::wheel);
    upstream.createContext("/git/", GitHttpBackend.serving(dir.resolve("served"), "/git"));
    upstream.start();
    port = upstream.getAddress().getPort();
  }

  @AfterAll
  static void stop() {
    if (upstream != null) {
      upstream.stop(0);
    }
  }

  private static void reply(HttpExchange x, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    x.sendResponseHeaders(200, b.length);
    try (OutputStream o = x.getResponseBody()) {
      o.write(b);
    }
  }

  private static void big(HttpExchange x) throws IOException {
    x.sendResponseHeaders(200, BIG);
    byte[] chunk = new byte[1 << 16];
    for (int i = 0; i < chunk.length; i++) {
      chunk[i] = (byte) i;
    }
    try (OutputStream o = x.getResponseBody()) {
      for (long sent = 0; sent < BIG; sent += chunk.length) {
        o.write(chunk);
      }
    }
  }

  private static void packument(HttpExchange x) throws IOException {
    reply(
        x,
        "{\"name\":\"robojail-demo\",\"dist-tags\":{\"latest\":\"1.2.3\"},"
            + "\"versions\":{\"1.2.3\":{\"name\":\"robojail-demo\",\"version\":\"1.2.3\"}}}");
  }

  private static void simpleIndex(HttpExchange x) throws IOException {
    x.getResponseHeaders().add("Content-Type", "text/html");
    reply(
        x,
        "<html><body><a href=\"/files/robojail_demo-1.0-py3-none-any.whl\">"
            + "robojail_demo-1.0-py3-none-any.whl</a></body></html>");
  }

  private static void wheel(HttpExchange x) throws IOException {
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(b)) {
      Map<String, String> files =
          Map.of(
              "robojail_demo/__init__.py", "",
              "robojail_demo-1.0.dist-info/METADATA",
                  "Metadata-Version: 2.1\nName: robojail-demo\nVersion: 1.0\n",
              "robojail_demo-1.0.dist-info/WHEEL",
                  "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
              "robojail_demo-1.0.dist-info/RECORD", "");
      for (var f : files.entrySet()) {
        z.putNextEntry(new ZipEntry(f.getKey()));
        z.write(f.getValue().getBytes(StandardCharsets.UTF_8));
        z.closeEntry();
      }
    }
    x.sendResponseHeaders(200, b.size());
    try (OutputStream o = x.getResponseBody()) {
      b.writeTo(o);
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return e.toString();
    }
  }

  private static EgressPolicy policy(Path log) {
    return EgressPolicy.of(
            Allowlist.parse(List.of("allowed.test", "rebind.test", "127.0.0.1:" + port)))
        .withResolver(
            name ->
                switch (name) {
                  case "allowed.test" -> List.of(InetAddress.ofLiteral("127.0.0.1"));
                  case "rebind.test" -> List.of(InetAddress.ofLiteral("127.0.0.2"));
                  default -> throw new java.net.UnknownHostException(name);
                })
        .withLog(log);
  }

  static Sandbox.Builder base(Network network) {
    Sandbox.Builder b =
        Sandbox.builder()
            .minimalSystem()
            .network(network)
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", "/tmp");
    if (network instanceof Network.Proxy) {
      b.environment(ProxyEnvironment.variables());
    }
    return b;
  }

  private static Sandbox.Builder proxied(Path log) {
    return base(Network.proxy(policy(log)));
  }

  /**
   * Runs a shell script in the sandbox; returns {exit status, output}. Its standard input is not
   * the test JVM's: node makes an inherited stdin non-blocking, and that one is surefire's command
   * pipe, whose reader then fails with EAGAIN ("std/in stream corrupted").
   */
  private static Object[] run(Sandbox.Builder b, String script) throws Exception {
    return exec(b, "/bin/sh", "-c", script);
  }

  /** Runs {@code command} in the sandbox as {@link #run} does. */
  static Object[] exec(Sandbox.Builder b, String... command) throws Exception {
    SandboxProcess p =
        b.command(command)
            .stdin(Stdio.discard())
            .stdout(Stdio.pipe())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Object[] {p.waitFor(), out};
  }

  static String ok(Sandbox.Builder b, String script) throws Exception {
    Object[] r = run(b, script);
    assertEquals(0, r[0], (String) r[1]);
    return (String) r[1];
  }

  private String url(String host, String path) {
    return "http://" + host + ":" + port + path;
  }

  @Test
  void curlReachesAnAllowedNameByPlainHttpAndByConnect() throws Exception {
    Path log = dir.resolve("curl.log");
    assertEquals(
        "hello from upstream\nhello from upstream\nhello from upstream\n",
        ok(
            proxied(log),
            "curl -sS "
                + url("allowed.test", "/hello")
                + " && curl -sS --proxytunnel "
                + url("allowed.test", "/hello")
                + " && curl -sS "
                + url("Allowed.TEST.", "/hello")));
    String logged = Files.readString(log);
    assertEquals(
        3, logged.lines().filter(l -> l.contains("\tallowed\tallowed.test\t")).count(), logged);
  }

  @Test
  void aRefusedNameGets403NamingTheHostAndTheLineThatAllowsItAndIsLogged() throws Exception {
    Path log = dir.resolve("refused.log");
    String out =
        ok(
            proxied(log),
            "curl -sS -w '%{http_code}\\n' http://denied.test/x;"
                + " curl -sS --proxytunnel https://DENIED.test/ 2>&1; true");
    assertTrue(out.contains("robojail refused denied.test:80: not in the allowlist"), out);
    assertTrue(out.contains("network_allow = [\"denied.test\"]"), out);
    assertTrue(out.contains("403\n"), out);
    assertTrue(out.contains("CONNECT tunnel failed, response 403"), out);
    String logged = Files.readString(log);
    assertTrue(logged.contains("\trefused\tdenied.test\t80\t"), logged);
    assertTrue(logged.contains("\trefused\tdenied.test\t443\t"), logged);
    assertEquals(
        Map.of("denied.test:80", 1, "denied.test:443", 1),
        dev.robojail.net.ConnectionLog.refused(log));
  }

  @Test
  void ipLiteralsRebindingToLoopbackAndNulBytesAreRefused() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs /usr/bin/python3");
    Path log = dir.resolve("attacks.log");
    String py =
        "import socket\n"
            + "def ask(line):\n"
            + "    s = socket.create_connection(('127.0.0.1', "
            + EgressProxy.PORT
            + "))\n"
            + "    s.sendall(line + b'\\r\\n\\r\\n')\n"
            + "    print(s.recv(200).split(b'\\r\\n')[0].decode())\n"
            + "ask(b'CONNECT 127.0.0.1:"
            + (port == 1 ? 2 : 1)
            + " HTTP/1.1')\n"
            + "ask(b'CONNECT [::1]:"
            + port
            + " HTTP/1.1')\n"
            + "ask(b'CONNECT rebind.test:"
            + port
            + " HTTP/1.1')\n"
            + "ask(b'CONNECT allowed.test\\x00.evil.example:"
            + port
            + " HTTP/1.1')\n"
            + "ask(b'CONNECT 2130706433:"
            + port
            + " HTTP/1.1')\n"
            + "ask(b'GET http://user@allowed.test:"
            + port
            + "/ HTTP/1.1')\n";
    Files.writeString(dir.resolve("attacks.py"), py);
    String out =
        ok(
            proxied(log).readOnlyBind(dir.resolve("attacks.py"), "/attacks.py"),
            "python3 /attacks.py");
    assertEquals(
        "HTTP/1.1 403 Forbidden\nHTTP/1.1 403 Forbidden\nHTTP/1.1 403 Forbidden\n"
            + "HTTP/1.1 400 Bad Request\nHTTP/1.1 403 Forbidden\nHTTP/1.1 400 Bad Request\n",
        out);
    String logged = Files.readString(log);
    assertTrue(
        logged.contains("rebind.test\t" + port + "\t0\t0\tit resolves to 127.0.0.2"), logged);
    assertFalse(logged.contains("\0"), "no NUL byte reaches the log");
  }

  @Test
  void theHostsLoopbackServicesAreUnreachableWithoutTheHostsNetwork() throws Exception {
    String direct =
        "curl -sS --noproxy '*' --max-time 5 " + url("127.0.0.1", "/hello") + "; echo rc=$?";
    for (Network n : List.of(Network.loopback(), Network.proxy(policy(null)))) {
      String out = ok(base(n), direct);
      assertTrue(out.contains("rc=7"), n + ": connection refused, got " + out);
    }
    assertTrue(ok(base(Network.host()), direct).contains("hello from upstream"));
  }

  @Test
  void theHostsAbstractSocketsAreUnreachableInEveryMode() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs /usr/bin/python3");
    String name = "robojail-test-" + ProcessHandle.current().pid();
    Process host =
        new ProcessBuilder(
                "/usr/bin/python3",
                "-c",
                "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind('\\0"
                    + name
                    + "'); s.listen(); print('up', flush=True); s.accept(); sys.stdin.read()")
            .redirectErrorStream(true)
            .start();
    try {
      assertEquals('u', host.getInputStream().read());
      String connect =
          "python3 -c \"import socket,errno\ntry:\n  socket.socket(socket.AF_UNIX).connect('\\0"
              + name
              + "'); print('connected')\nexcept OSError as e: print(errno.errorcode[e.errno])\"";
      assertEquals("ECONNREFUSED\n", ok(base(Network.loopback()), connect));
      assertEquals("ECONNREFUSED\n", ok(base(Network.proxy(policy(null))), connect));
      // a listed host port opens that port, not the host's network
      assertEquals(
          "ECONNREFUSED\n",
          ok(base(Network.loopback(dev.robojail.net.HostPorts.of(List.of(port), null))), connect));
      assumeTrue(
          Landlock.abi() >= 6,
          "Landlock ABI 6 scopes abstract sockets; this kernel has " + Landlock.abi());
      assertEquals("EPERM\n", ok(base(Network.host()), connect));
      assertEquals("connected\n", ok(base(Network.host()).landlock(false), connect));
    } finally {
      host.destroyForcibly().waitFor();
    }
  }

  @Test
  void theSandboxsOwnLoopbackWorksInEveryMode() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs /usr/bin/python3");
    // The server takes a free port and says which: with the host's network a fixed one could be
    // another program's (or another run's of this test), and then curl would ask that one.
    String script =
        "python3 -c 'import functools, http.server as h\n"
            + "s = h.HTTPServer((\"127.0.0.1\", 0),"
            + " functools.partial(h.SimpleHTTPRequestHandler, directory=\"/etc\"))\n"
            + "print(s.server_port, flush=True)\n"
            + "s.serve_forever()' > /tmp/port 2>/dev/null &"
            + " until [ -s /tmp/port ] || ! kill -0 $! 2>/dev/null; do sleep 0.05; done;"
            + " curl -sS -o /dev/null -w '%{http_code}' http://127.0.0.1:$(cat /tmp/port)/; kill $!";
    for (Network n : List.of(Network.loopback(), Network.proxy(policy(null)), Network.host())) {
      assertEquals("200", ok(base(n), script), n.toString());
    }
  }

  @Test
  void gitClonesOverSmartHttpThroughTheProxy() throws Exception {
    Path served = dir.resolve("served");
    Files.createDirectories(served);
    Path work = dir.resolve("work");
    git(dir, "init", "-q", "-b", "main", work.toString());
    Files.writeString(work.resolve("README"), "through the proxy\n");
    git(work, "add", "README");
    git(work, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one");
    git(dir, "clone", "-q", "--bare", work.toString(), served.resolve("repo.git").toString());
    String out =
        ok(
            proxied(dir.resolve("git.log")),
            "git clone -q "
                + url("allowed.test", "/git/repo.git")
                + " /tmp/c && cat /tmp/c/README");
    assertEquals("through the proxy\n", out);
  }

  private static void git(Path cwd, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("git"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).inheritIO().start();
    assertEquals(0, p.waitFor(), String.join(" ", cmd));
  }

  @Test
  void npmPipAndNodeUseTheProxyFromTheEnvironment() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/npm")), "needs /usr/bin/npm");
    Sandbox.Builder b = proxied(dir.resolve("tools.log"));
    assertEquals(
        "1.2.3\n",
        ok(
            b,
            "npm view --registry " + url("allowed.test", "/npm/") + " robojail-demo version 2>&1"));
    String pip =
        ok(
            b,
            "python3 -m pip download -q --no-deps --no-cache-dir -d /tmp/w --trusted-host allowed.test"
                + " --index-url "
                + url("allowed.test", "/simple/")
                + " robojail-demo 2>&1; ls /tmp/w");
    assertTrue(pip.contains("robojail_demo-1.0-py3-none-any.whl"), pip);
    // Node's own http agent, as npm and most libraries use it, with the proxy from the environment
    String node =
        "const u = new URL(process.env.HTTP_PROXY);"
            + " require('http').get({host: u.hostname, port: u.port, path: '"
            + url("allowed.test", "/hello")
            + "'}, r => r.pipe(process.stdout));";
    assertEquals("hello from upstream\n", ok(b, "node -e \"" + node + "\""));
  }

  @Test
  void aHundredParallelConnectionsAndA200MegabyteTransferGoThrough() throws Exception {
    Path log = dir.resolve("load.log");
    String script =
        "for i in $(seq 100); do curl -sS -o /tmp/o$i "
            + url("allowed.test", "/hello")
            + " & done; wait;"
            + " cat /tmp/o* | grep -c 'hello from upstream';"
            + " curl -sS --proxytunnel "
            + url("allowed.test", "/big")
            + " | wc -c";
    assertEquals("100\n" + BIG + "\n", ok(proxied(log), script));
    String logged = Files.readString(log);
    assertTrue(
        logged.contains("\t0\t" + (BIG + 0) + "\t")
            || logged
                .lines()
                .anyMatch(l -> l.split("\t")[5].startsWith(Long.toString(BIG).substring(0, 6))),
        logged.lines().filter(l -> !l.contains("/hello")).reduce("", (a, c) -> c));
  }

  @Test
  void theProxyAndItsConnectionsEndWithTheSandbox() throws Exception {
    // A server that answers and then holds the connection open until the client goes.
    try (java.net.ServerSocket holding =
        new java.net.ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      Thread server =
          Thread.ofPlatform()
              .start(
                  () -> {
                    try (java.net.Socket c = holding.accept()) {
                      c.getOutputStream()
                          .write(
                              "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nstarted\n"
                                  .getBytes(StandardCharsets.US_ASCII));
                      c.getInputStream().transferTo(OutputStream.nullOutputStream());
                    } catch (IOException e) {
                      // the proxy closed the connection, as the test wants
                    }
                  });
      EgressPolicy policy =
          EgressPolicy.of(Allowlist.parse(List.of("allowed.test", "127.0.0.1")))
              .withResolver(name -> List.of(InetAddress.ofLiteral("127.0.0.1")));
      SandboxProcess p =
          base(Network.proxy(policy))
              .environment(ProxyEnvironment.variables())
              .command(
                  "/bin/sh",
                  "-c",
                  "curl -sS -N http://allowed.test:" + holding.getLocalPort() + "/; sleep 60")
              .stdout(Stdio.pipe())
              .start();
      EgressProxy proxy = p.egress().orElseThrow();
      byte[] started = new byte[8];
      assertEquals(8, p.getInputStream().readNBytes(started, 0, 8));
      assertEquals("started\n", new String(started, StandardCharsets.UTF_8));
      assertEquals(1, proxy.openConnections());
      assertTrue(proxy.isOpen());
      p.destroy();
      assertTrue(p.waitFor(10, TimeUnit.SECONDS));
      p.onExit().get(10, TimeUnit.SECONDS);
      assertFalse(proxy.isOpen());
      assertEquals(0, proxy.openConnections());
      server.join(10_000);
      assertFalse(server.isAlive(), "the upstream connection was closed");
      String prefix = "robojail-egress-";
      assertFalse(
          Thread.getAllStackTraces().keySet().stream()
              .anyMatch(t -> t.getName().startsWith(prefix + p.pid()) && t.isAlive()),
          "the acceptor thread ended");
    }
  }
}
