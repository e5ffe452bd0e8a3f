package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.jail.JailName;
import dev.robojail.testkit.TestWorld;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A jail's own network settings from {@code create} (kept in its state, used by every run), and
 * host ports by name: a local HTTP server on the host's 127.0.0.1 stands for a dev database or a
 * model server.
 */
class NetworkOptionsTest {
  @TempDir Path tmp;
  TestWorld world;
  Path repo;
  HttpServer server;
  int port;

  @BeforeEach
  void setUp() throws IOException {
    world = TestWorld.in(tmp);
    repo = world.repo("repo").dir;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 20);
    server.createContext(
        "/",
        x -> {
          byte[] b = "from the host\n".getBytes(StandardCharsets.UTF_8);
          x.sendResponseHeaders(200, b.length);
          try (OutputStream o = x.getResponseBody()) {
            o.write(b);
          }
        });
    server.start();
    port = server.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  Result robojail(String... args) {
    return InProcess.run(world, args);
  }

  Path worktree(String name) {
    return world.dirs().jailDir(JailName.of(name));
  }

  @Test
  void aBadModeOrPortIsOneLineOfInvalidInputAndNoJail() {
    for (String[] bad :
        new String[][] {
          {"--network", "open"}, {"--host-port", "70000"}, {"--network-allow", "exa*mple.com"}
        }) {
      Result r = robojail("create", "--name", "j", "--repo", repo.toString(), bad[0], bad[1]);
      assertEquals(2, r.code(), r.err());
      CliTest.assertOneLineError(r);
      assertTrue(r.err().contains(bad[1]), r.err());
    }
    assertEquals("{\"schemaVersion\":1,\"jails\":[]}", robojail("list", "--json").out().strip());
  }

  @Test
  @NeedsUserNamespaces
  void aHostPortOfTheJailIsReachedByNameWithoutTheProxyInNoneMode() throws IOException {
    Result c =
        robojail(
            "create",
            "--name",
            "db",
            "--repo",
            repo.toString(),
            "--network",
            "none",
            "--host-port",
            Integer.toString(port));
    assertEquals(0, c.code(), c.err());
    assertEquals("", c.err());
    Result r =
        robojail(
            "run",
            "db",
            "--",
            "sh",
            "-c",
            "getent hosts host.robojail.internal > hosts.txt;"
                + " curl -sS http://host.robojail.internal:"
                + port
                + "/ > got.txt 2>&1;"
                // none: no proxy listens, and the environment names none
                + " curl -sS --max-time 5 http://127.0.0.1:3128/ > proxy.txt 2>&1;"
                + " echo \"${HTTP_PROXY:-unset}\" >> proxy.txt");
    assertEquals(0, r.code(), r.err());
    assertTrue(
        Files.readString(worktree("db").resolve("hosts.txt"))
            .startsWith("127.0.0.2       host.robojail.internal"),
        Files.readString(worktree("db").resolve("hosts.txt")));
    assertEquals("from the host\n", Files.readString(worktree("db").resolve("got.txt")));
    String proxy = Files.readString(worktree("db").resolve("proxy.txt"));
    assertTrue(proxy.startsWith("curl: (7)") && proxy.endsWith("unset\n"), proxy);
  }

  @Test
  @NeedsUserNamespaces
  void configuredHostPortsWorkInProxyModeForProxyAwareClientsAndOthers() throws IOException {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs /usr/bin/python3");
    world.config("host_ports = [" + port + "]\n");
    assertEquals(0, robojail("create", "--name", "p", "--repo", repo.toString()).code());
    Result r =
        robojail(
            "run",
            "p",
            "--",
            "sh",
            "-c",
            // curl obeys HTTP_PROXY, and NO_PROXY names the host ports' name
            "curl -sS http://host.robojail.internal:"
                + port
                + "/ > curl.txt 2>&1;"
                + " python3 -c \"import socket; s = socket.create_connection(('host.robojail.internal', "
                + port
                + ")); s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n'); print(s.recv(4096).decode().split()[1])\""
                + " > raw.txt 2>&1");
    assertEquals(0, r.code(), r.err());
    assertEquals("from the host\n", Files.readString(worktree("p").resolve("curl.txt")));
    assertEquals("200\n", Files.readString(worktree("p").resolve("raw.txt")));
  }

  @Test
  @NeedsUserNamespaces
  void aJailsOwnModeOverridesTheConfigurationAtEveryRunAndHostIsWarned() throws IOException {
    world.config("network = \"none\"\n");
    Result c = robojail("create", "--name", "h", "--repo", repo.toString(), "--network", "host");
    assertEquals(0, c.code(), c.err());
    assertTrue(c.err().contains("warning: network = \"host\""), c.err());
    // the host's network: the host's loopback server answers at its own address
    Result r =
        robojail(
            "run",
            "h",
            "--",
            "sh",
            "-c",
            "curl -sS --noproxy '*' http://127.0.0.1:" + port + "/ > got.txt 2>&1");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("warning: network = \"host\""), r.err());
    assertEquals("from the host\n", Files.readString(worktree("h").resolve("got.txt")));
    Result doctor = robojail("doctor");
    assertTrue(doctor.out().contains("jail h has network \"host\""), doctor.out());
    // and a jail made without the option follows the configuration: none
    assertEquals(0, robojail("create", "--name", "n", "--repo", repo.toString()).code());
    assertEquals(
        7,
        robojail("run", "n", "--", "curl", "-s", "--noproxy", "*", "http://127.0.0.1:" + port)
            .code());
  }

  @Test
  @NeedsUserNamespaces
  void aProfilesModeAppliesAtEveryRunBelowTheJailsOwnAndCreateSaysWhereItCameFrom()
      throws IOException {
    world.config(
        """
        network = "none"
        [agent.web]
        command = "/usr/bin/env"
        network = "host"
        """);
    Path config = world.dirs().configFile();
    Result c = robojail("create", "--name", "w", "--repo", repo.toString(), "--agent", "web");
    assertEquals(0, c.code(), c.err());
    assertTrue(
        c.out().contains("network host (from agent profile web, " + config + ":4): shares"),
        c.out());
    assertTrue(c.err().contains("warning: network = \"host\""), c.err());
    String curl = "curl -sS --noproxy '*' --max-time 5 http://127.0.0.1:" + port + "/";
    Result r = robojail("run", "w", "--", "sh", "-c", curl + " > got.txt 2>&1");
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.err().contains("warning: network = \"host\""), r.err());
    assertEquals("from the host\n", Files.readString(worktree("w").resolve("got.txt")));
    Result doctor = robojail("doctor");
    assertTrue(
        doctor.out().contains("agent profile web: network host (agent profile web, " + config),
        doctor.out());
    assertTrue(
        doctor.out().contains("jail w has network \"host\" (from agent profile web"), doctor.out());

    // The jail's own --network wins over its profile's.
    Result own =
        robojail(
            "create",
            "--name",
            "o",
            "--repo",
            repo.toString(),
            "--agent",
            "web",
            "--network",
            "none");
    assertEquals(0, own.code(), own.err());
    assertTrue(
        own.out().contains("network none (from create --network): loopback only"), own.out());
    assertEquals("", own.err(), "no warning for a jail that does not share the host's network");
    assertEquals(7, robojail("run", "o", "--", "sh", "-c", curl).code());
    // and a jail without the profile follows the configuration
    Result plain = robojail("create", "--name", "p", "--repo", repo.toString());
    assertTrue(
        plain.out().contains("network none (from network in " + config + "): loopback only"),
        plain.out());
  }
}
