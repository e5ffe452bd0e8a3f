package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.net.Allowlist;
import dev.robojail.net.EgressPolicy;
import dev.robojail.net.EgressProxy;
import dev.robojail.net.ProxyEnvironment;
import dev.robojail.testkit.AgentPackages;
import dev.robojail.testkit.FakeModelApi;
import dev.robojail.testkit.GitHttpBackend;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The clients the README says the jail's proxy environment serves, each run for real inside a
 * sandbox whose only way out is the egress proxy, with nothing but {@link
 * ProxyEnvironment#variables()} and its files to find it: Go, cargo and Java over HTTPS (so through
 * {@code CONNECT}: a TLS server cannot answer a forwarded plain request), and Claude Code and Codex
 * to a fake model API by a name that only the proxy's test resolver knows. A local upstream on the
 * host's loopback stands in for the internet; its certificate, made for {@code allowed.test} by
 * {@code keytool}, is what the clients are told to trust, as a company's CA would be.
 */
@NeedsUserNamespaces
class ProxyClientsTest {
  private static final String PASSWORD = "robojail";
  private static final String CRATE = "rjdemo";
  private static final String MODULE = "robojail.test/hello";
  @TempDir static Path dir;
  private static HttpsServer tls;
  private static HttpServer plain;
  private static ExecutorService executor;
  private static final List<String> requests = new CopyOnWriteArrayList<>();
  private static byte[] crate;
  private static SSLContext ssl;

  @BeforeAll
  static void start() throws Exception {
    keytool(
        "-genkeypair",
        "-alias",
        "upstream",
        "-keyalg",
        "EC",
        "-groupname",
        "secp256r1",
        "-dname",
        "CN=allowed.test",
        "-ext",
        "san=dns:allowed.test,dns:models.test",
        "-validity",
        "2",
        "-storetype",
        "PKCS12",
        "-keystore",
        dir.resolve("upstream.p12").toString(),
        "-storepass",
        PASSWORD);
    keytool(
        "-exportcert",
        "-rfc",
        "-alias",
        "upstream",
        "-keystore",
        dir.resolve("upstream.p12").toString(),
        "-storepass",
        PASSWORD,
        "-file",
        dir.resolve("upstream.pem").toString());
    keytool(
        "-importcert",
        "-noprompt",
        "-alias",
        "upstream",
        "-file",
        dir.resolve("upstream.pem").toString(),
        "-storetype",
        "PKCS12",
        "-keystore",
        dir.resolve("trust.p12").toString(),
        "-storepass",
        PASSWORD);
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(dir.resolve("upstream.p12"))) {
      keys.load(in, PASSWORD.toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, PASSWORD.toCharArray());
    ssl = SSLContext.getInstance("TLS");
    ssl.init(kmf.getKeyManagers(), null, null);

    executor = Executors.newCachedThreadPool();
    InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    tls = HttpsServer.create(loopback, 50);
    tls.setHttpsConfigurator(new HttpsConfigurator(ssl));
    plain = HttpServer.create(loopback, 50);
    for (HttpServer s : List.of(tls, plain)) {
      s.setExecutor(executor);
      s.createContext("/hello", recorded(x -> reply(x, "hello over " + scheme(x) + "\n")));
      s.createContext("/go/", recorded(ProxyClientsTest::goProxy));
      s.createContext("/git/", recorded(GitHttpBackend.serving(dir.resolve("served"), "/git")));
      s.createContext("/crates/", recorded(x -> reply(x, crate)));
      s.start();
    }
    crate = crateFile();
    cargoIndex();
  }

  @AfterAll
  static void stop() {
    for (HttpServer s : new HttpServer[] {tls, plain}) {
      if (s != null) {
        s.stop(0);
      }
    }
    if (executor != null) {
      executor.shutdownNow();
    }
  }

  private static void keytool(String... args) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
    cmd.addAll(List.of(args));
    host(dir, cmd);
  }

  private static void host(Path cwd, List<String> cmd) throws Exception {
    Process p =
        new ProcessBuilder(cmd)
            .directory(cwd.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    assertEquals(0, p.waitFor(), String.join(" ", cmd));
  }

  private static HttpHandler recorded(HttpHandler h) {
    return x -> {
      requests.add(scheme(x) + " " + x.getRequestMethod() + " " + x.getRequestURI().getPath());
      h.handle(x);
    };
  }

  private static String scheme(HttpExchange x) {
    return x.getLocalAddress().getPort() == tls.getAddress().getPort() ? "https" : "http";
  }

  private static void reply(HttpExchange x, String body) throws IOException {
    reply(x, body.getBytes(StandardCharsets.UTF_8));
  }

  private static void reply(HttpExchange x, byte[] body) throws IOException {
    x.sendResponseHeaders(200, body.length);
    try (OutputStream o = x.getResponseBody()) {
      o.write(body);
    }
  }

  // The GOPROXY protocol (go help goproxy) for one module at one version.
  private static void goProxy(HttpExchange x) throws IOException {
    String at = "/go/" + MODULE + "/@v/";
    String path = x.getRequestURI().getPath();
    switch (path.startsWith(at) ? path.substring(at.length()) : "") {
      case "list" -> reply(x, "v1.0.0\n");
      case "v1.0.0.info" -> reply(x, "{\"Version\":\"v1.0.0\",\"Time\":\"2026-01-01T00:00:00Z\"}");
      case "v1.0.0.mod" -> reply(x, "module " + MODULE + "\n\ngo 1.19\n");
      case "v1.0.0.zip" -> reply(x, goModuleZip());
      default -> {
        x.sendResponseHeaders(404, -1);
        x.close();
      }
    }
  }

  private static byte[] goModuleZip() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(b)) {
      String root = MODULE + "@v1.0.0/";
      for (var f :
          Map.of(
                  "go.mod",
                  "module " + MODULE + "\n\ngo 1.19\n",
                  "hello.go",
                  "package hello\n\nconst Greeting = \"hello from a Go module\"\n")
              .entrySet()) {
        z.putNextEntry(new ZipEntry(root + f.getKey()));
        z.write(f.getValue().getBytes(StandardCharsets.UTF_8));
        z.closeEntry();
      }
    }
    return b.toByteArray();
  }

  // A .crate is a gzipped tar of NAME-VERSION/; made by the host's tar, as cargo package would.
  private static byte[] crateFile() throws Exception {
    Path src = dir.resolve("crate/" + CRATE + "-1.0.0");
    Files.createDirectories(src.resolve("src"));
    Files.writeString(
        src.resolve("Cargo.toml"),
        "[package]\nname = \"" + CRATE + "\"\nversion = \"1.0.0\"\nedition = \"2021\"\n");
    Files.writeString(
        src.resolve("src/lib.rs"),
        "pub fn hello() -> &'static str {\n    \"hello from a crate\"\n}\n");
    host(
        dir.resolve("crate"),
        List.of("tar", "-czf", "../crate.tar.gz", src.getFileName().toString()));
    return Files.readAllBytes(dir.resolve("crate.tar.gz"));
  }

  // A git registry index (what Debian's cargo 1.65 can read; the sparse protocol came in 1.68),
  // served over smart HTTP, naming the one crate and where to download it.
  private static void cargoIndex() throws Exception {
    Path work = dir.resolve("index");
    Files.createDirectories(work.resolve("rj/de"));
    Files.writeString(
        work.resolve("config.json"),
        "{\"dl\":\"https://allowed.test:" + tls.getAddress().getPort() + "/crates\"}\n");
    String sum = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(crate));
    Files.writeString(
        work.resolve("rj/de/" + CRATE),
        "{\"name\":\""
            + CRATE
            + "\",\"vers\":\"1.0.0\",\"deps\":[],\"cksum\":\""
            + sum
            + "\",\"features\":{},\"yanked\":false}\n");
    host(work, List.of("git", "init", "-q", "-b", "main"));
    host(work, List.of("git", "add", "."));
    host(
        work,
        List.of("git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "index"));
    host(
        dir,
        List.of(
            "git",
            "clone",
            "-q",
            "--bare",
            work.toString(),
            dir.resolve("served/index.git").toString()));
  }

  private static void needs(String program) {
    if (Files.isExecutable(Path.of(program))) {
      return;
    }
    String why = "needs " + program + " (.ci/run installs it)";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail(why + ", and CI=true: the test must run");
    }
    abort(why);
  }

  private static int tlsPort() {
    return tls.getAddress().getPort();
  }

  /** The sandbox as a jail in proxy mode has it, with the upstream's certificate to trust. */
  private static Sandbox.Builder proxied(Path log, int... ports) {
    List<String> allowed = new ArrayList<>(List.of("allowed.test", "models.test"));
    allowed.add("127.0.0.1:" + tlsPort());
    allowed.add("127.0.0.1:" + plain.getAddress().getPort());
    for (int p : ports) {
      allowed.add("127.0.0.1:" + p);
    }
    EgressPolicy policy =
        EgressPolicy.of(Allowlist.parse(allowed))
            .withResolver(
                name ->
                    switch (name) {
                      case "allowed.test", "models.test" ->
                          List.of(InetAddress.ofLiteral("127.0.0.1"));
                      default -> throw new java.net.UnknownHostException(name);
                    })
            .withLog(log);
    Sandbox.Builder b =
        NetworkTest.base(Network.proxy(policy))
            .hostname("proxied")
            .readOnlyBind(dir.resolve("upstream.pem"), "/upstream.pem")
            .readOnlyBind(dir.resolve("trust.p12"), "/trust.p12");
    ProxyEnvironment.files().forEach((path, text) -> b.file(path, text, 0644));
    return b;
  }

  private static String allowedLines(Path log, String host, int port) throws IOException {
    String logged = Files.readString(log);
    assertTrue(logged.contains("\tallowed\t" + host + "\t" + port + "\t"), logged);
    return logged;
  }

  @Test
  void goDownloadsAModuleFromAGoproxyOverHttps() throws Exception {
    needs("/usr/bin/go");
    Path log = dir.resolve("go.log");
    String out =
        NetworkTest.ok(
            proxied(log),
            "export GOPROXY=https://allowed.test:"
                + tlsPort()
                + "/go GOSUMDB=off GOTOOLCHAIN=local GOFLAGS=-modcacherw"
                + " SSL_CERT_FILE=/upstream.pem;"
                + " mkdir /tmp/m && cd /tmp/m && go mod init demo 2>/dev/null"
                + " && go mod download "
                + MODULE
                + "@v1.0.0 && cat \"$(go env GOMODCACHE)/"
                + MODULE
                + "@v1.0.0/hello.go\"");
    assertTrue(out.endsWith("const Greeting = \"hello from a Go module\"\n"), out);
    assertTrue(
        requests.contains("https GET /go/" + MODULE + "/@v/v1.0.0.zip"), requests.toString());
    allowedLines(log, "allowed.test", tlsPort());
  }

  @Test
  void cargoFetchesACrateFromARegistryOverHttps() throws Exception {
    needs("/usr/bin/cargo");
    Path app = dir.resolve("app");
    Files.createDirectories(app.resolve("src"));
    Files.writeString(
        app.resolve("Cargo.toml"),
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n"
            + CRATE
            + " = \"1.0.0\"\n");
    Files.writeString(
        app.resolve("src/main.rs"),
        "fn main() {\n    println!(\"{}\", " + CRATE + "::hello());\n}\n");
    // crates.io replaced by the test's registry, as a company mirror would be configured
    Files.writeString(
        dir.resolve("cargo-config.toml"),
        "[source.crates-io]\nreplace-with = \"jailtest\"\n\n[source.jailtest]\nregistry ="
            + " \"https://allowed.test:"
            + tlsPort()
            + "/git/index.git\"\n");
    Path log = dir.resolve("cargo.log");
    String out =
        NetworkTest.ok(
            proxied(log)
                .readOnlyBind(app, "/src/app")
                .readOnlyBind(dir.resolve("cargo-config.toml"), "/src/cargo-config.toml"),
            "export CARGO_HOME=/tmp/cargo CARGO_HTTP_CAINFO=/upstream.pem;"
                + " mkdir -p /tmp/cargo && cp /src/cargo-config.toml /tmp/cargo/config.toml"
                + " && cp -r /src/app /tmp/app && cd /tmp/app && cargo check -q 2>&1"
                + " && ls /tmp/cargo/registry/src/*/");
    assertTrue(out.endsWith(CRATE + "-1.0.0\n"), out);
    assertTrue(requests.contains("https POST /git/index.git/git-upload-pack"), requests.toString());
    assertTrue(
        requests.contains("https GET /crates/" + CRATE + "/1.0.0/download"), requests.toString());
    allowedLines(log, "allowed.test", tlsPort());
  }

  @Test
  void javasHttpClientUsesTheProxyFromTheArgumentFile() throws Exception {
    needs("/usr/bin/java");
    Files.writeString(
        dir.resolve("Get.java"),
        "public class Get {\n"
            + "  public static void main(String[] urls) throws Exception {\n"
            + "    var client = java.net.http.HttpClient.newHttpClient();\n"
            + "    for (String u : urls) {\n"
            + "      var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(u)).build();\n"
            + "      System.out.print(client.send(request,"
            + " java.net.http.HttpResponse.BodyHandlers.ofString()).body());\n"
            + "      try (var in = java.net.URI.create(u).toURL().openStream()) {\n"
            + "        System.out.print(new String(in.readAllBytes()));\n"
            + "      }\n"
            + "    }\n"
            + "  }\n"
            + "}\n");
    // Compiled here, for the oldest JDK with HttpClient: the jail's java may be any distribution's.
    Path classes = Files.createDirectories(dir.resolve("java-classes"));
    assertEquals(
        0,
        javax.tools.ToolProvider.getSystemJavaCompiler()
            .run(
                null,
                null,
                null,
                "--release",
                "11",
                "-d",
                classes.toString(),
                dir.resolve("Get.java").toString()));
    Path log = dir.resolve("java.log");
    String out =
        NetworkTest.ok(
            proxied(log).readOnlyBind(classes, "/src"),
            "java @"
                + ProxyEnvironment.JAVA_ARGS
                + " -Djavax.net.ssl.trustStore=/trust.p12 -Djavax.net.ssl.trustStorePassword="
                + PASSWORD
                + " -cp /src Get https://allowed.test:"
                + tlsPort()
                + "/hello http://allowed.test:"
                + plain.getAddress().getPort()
                + "/hello 2>&1");
    assertEquals("hello over https\nhello over https\nhello over http\nhello over http\n", out);
    allowedLines(log, "allowed.test", tlsPort());
    allowedLines(log, "allowed.test", plain.getAddress().getPort());
  }

  // Separate methods, not one parameterized: .ci/as-nobody compares the number of tests it
  // discovers with the number that ran, and discovery counts a parameterized method once.
  @Test
  void claudeCodeReachesItsApiByNameOverHttpsThroughTheProxy() throws Exception {
    claude("https");
  }

  @Test
  void claudeCodeReachesItsApiByNameOverHttpThroughTheProxy() throws Exception {
    claude("http");
  }

  @Test
  void codexReachesItsProviderByNameOverHttpsThroughTheProxy() throws Exception {
    codex("https");
  }

  @Test
  void codexReachesItsProviderByNameOverHttpThroughTheProxy() throws Exception {
    codex("http");
  }

  private static void claude(String scheme) throws Exception {
    Path claude = AgentPackages.claude();
    agentWorksThroughTheProxy(
        "claude",
        scheme,
        "echo '{\"hasCompletedOnboarding\":true}' > ~/.claude.json",
        baseUrl ->
            List.of(
                "ANTHROPIC_BASE_URL=" + baseUrl,
                "NODE_EXTRA_CA_CERTS=/upstream.pem",
                "ANTHROPIC_API_KEY=sk-ant-api03-fake",
                "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
                "DISABLE_AUTOUPDATER=1",
                claude.toString(),
                "-p",
                "Write the proof file.",
                "--allowedTools",
                "Bash"));
  }

  private static void codex(String scheme) throws Exception {
    Path codex = AgentPackages.codex();
    agentWorksThroughTheProxy(
        "codex",
        scheme,
        "true",
        baseUrl ->
            List.of(
                "SSL_CERT_FILE=/upstream.pem",
                codex.toString(),
                "exec",
                "--skip-git-repo-check",
                // what the jail's profile decides: robojail is the sandbox
                "-s",
                "danger-full-access",
                "-c",
                "model_provider=\"fake\"",
                "-c",
                "model_providers.fake={name=\"fake\",base_url=\""
                    + baseUrl
                    + "/v1\",wire_api=\"responses\"}",
                "-m",
                "fake-model",
                "Write the proof file."));
  }

  /**
   * Runs an agent against a fake model API at {@code models.test}, a name only the proxy's resolver
   * knows, with {@code env NAME=VALUE… PROGRAM ARGS…} from {@code command} given the API's base
   * URL; the one tool call must have run in the sandbox, and the proxy must have carried it.
   */
  private static void agentWorksThroughTheProxy(
      String agent,
      String scheme,
      String setup,
      java.util.function.Function<String, List<String>> command)
      throws Exception {
    try (FakeModelApi api = FakeModelApi.start(FakeModelApi.PROOF_COMMAND, tls(scheme))) {
      Path log = dir.resolve(agent + "-" + scheme + ".log");
      List<String> argv =
          new ArrayList<>(
              List.of(
                  "/bin/sh",
                  "-c",
                  setup + " && mkdir /tmp/work && cd /tmp/work && exec \"$@\"",
                  "sh",
                  // a bound on a hung agent, inside, so that the sandbox ends with it
                  "timeout",
                  "180",
                  "env"));
      argv.addAll(command.apply(scheme + "://models.test:" + api.port()));
      Object[] r =
          NetworkTest.exec(
              proxied(log, api.port()).readOnlyBind(AgentPackages.dir()),
              argv.toArray(String[]::new));
      String output = (String) r[1];
      assertEquals(0, r[0], output);
      assertTrue(output.contains("Done."), output);
      assertEquals(1, api.toolCalls(), output);
      assertEquals(1, api.toolOutputs().size(), output + " " + api.unexpected());
      // the command ran in the sandbox, whose hostname it printed
      assertTrue(
          api.toolOutputs().getFirst().contains("ran in proxied"), api.toolOutputs().getFirst());
      assertEquals(List.of(), api.unexpected());
      allowedLines(log, "models.test", api.port());
    }
  }

  @Test
  void sshGoesThroughTheProxysConnectWithAProxyCommand() throws Exception {
    needs("/usr/bin/ssh");
    needs("/usr/bin/socat");
    // An SSH server's first move, its banner; what it records is the client's, read through the
    // tunnel. No key exchange follows: that the bytes flow both ways is what the proxy owes ssh.
    try (java.net.ServerSocket server =
        new java.net.ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      java.util.concurrent.CompletableFuture<String> banner =
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> {
                try (java.net.Socket c = server.accept()) {
                  c.getOutputStream()
                      .write("SSH-2.0-robojail_test\r\n".getBytes(StandardCharsets.US_ASCII));
                  return new java.io.BufferedReader(
                          new java.io.InputStreamReader(
                              c.getInputStream(), StandardCharsets.US_ASCII))
                      .readLine();
                } catch (IOException e) {
                  return e.toString();
                }
              },
              executor);
      Path log = dir.resolve("ssh.log");
      Object[] r =
          NetworkTest.exec(
              proxied(log, server.getLocalPort()),
              "ssh",
              "-o",
              "ProxyCommand=socat - PROXY:127.0.0.1:%h:%p,proxyport=" + EgressProxy.PORT,
              "-o",
              "BatchMode=yes",
              "-o",
              "StrictHostKeyChecking=no",
              "-o",
              "UserKnownHostsFile=/dev/null",
              "-v",
              "-p",
              Integer.toString(server.getLocalPort()),
              "git@allowed.test",
              "true");
      String out = (String) r[1];
      assertTrue(
          banner.get(30, java.util.concurrent.TimeUnit.SECONDS).startsWith("SSH-2.0-OpenSSH"), out);
      assertTrue(out.contains("remote software version robojail_test"), out);
      allowedLines(log, "allowed.test", server.getLocalPort());
    }
  }

  private static SSLContext tls(String scheme) {
    return scheme.equals("https") ? ssl : null;
  }
}
