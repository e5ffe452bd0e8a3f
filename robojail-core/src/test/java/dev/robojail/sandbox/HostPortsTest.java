package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.robojail.ffm.Await;
import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.net.Allowlist;
import dev.robojail.net.EgressPolicy;
import dev.robojail.net.HostPorts;
import dev.robojail.net.HostRelay;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Host ports for real: two servers on the host's 127.0.0.1 answer {@code NAME:LINE} to each line;
 * only the listed one is reachable from inside, at 127.0.0.2, by a client that knows nothing of
 * proxies (Python's plain sockets), in {@code none} and in {@code proxy} mode. Every other way to
 * the host stays shut: the unlisted port, the host's 127.0.0.1, its other addresses (its abstract
 * sockets: {@code NetworkTest.theHostsAbstractSocketsAreUnreachableInEveryMode}).
 */
@NeedsUserNamespaces
class HostPortsTest {
  private static Server listed;
  private static Server unlisted;
  @TempDir static Path dir;

  /** A host loopback service: answers each line with its name and the line. */
  private record Server(String name, ServerSocket socket, Thread thread) implements AutoCloseable {
    static Server start(String name) throws IOException {
      ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread t =
          Thread.ofPlatform()
              .daemon()
              .start(
                  () -> {
                    while (!ss.isClosed()) {
                      try {
                        Socket c = ss.accept();
                        Thread.ofPlatform().daemon().start(() -> answer(name, c));
                      } catch (IOException e) {
                        return;
                      }
                    }
                  });
      return new Server(name, ss, t);
    }

    private static void answer(String name, Socket c) {
      try (c;
          BufferedReader in =
              new BufferedReader(
                  new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))) {
        OutputStream out = c.getOutputStream();
        for (String line; (line = in.readLine()) != null; ) {
          out.write((name + ":" + line + "\n").getBytes(StandardCharsets.UTF_8));
          out.flush();
        }
      } catch (IOException e) {
        // the client went
      }
    }

    int port() {
      return socket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  @BeforeAll
  static void start() throws IOException {
    listed = Server.start("listed");
    unlisted = Server.start("unlisted");
  }

  @AfterAll
  static void stop() throws IOException {
    if (listed != null) {
      listed.close();
    }
    if (unlisted != null) {
      unlisted.close();
    }
  }

  // Prints, for each probe, what a plain TCP client got: the server's answer, "closed", the errno
  // name, or "timeout" when no answer came in 5 s, or in the seconds a HOST:PORT@SECONDS gives.
  private static final String PROBE =
      """
      import socket, errno, sys
      def probe(host, port, wait):
          s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET)
          s.settimeout(wait)
          try:
              s.connect((host, port))
              s.sendall(b'hello\\n')
              got = s.recv(100).decode().strip()
              print(got or 'closed')
          except socket.timeout:
              print('timeout')
          except OSError as e:
              print(errno.errorcode.get(e.errno, str(e)))
      for a in sys.argv[1:]:
          a, _, wait = a.partition('@')
          host, port = a.rsplit(':', 1)
          probe(host.strip('[]'), int(port), float(wait or 5))
      """;

  private static Sandbox.Builder base(Network network) throws IOException {
    Path probe = dir.resolve("probe.py");
    Files.writeString(probe, PROBE);
    return Sandbox.builder()
        .minimalSystem()
        .network(network)
        .readOnlyBind(probe, "/probe.py")
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", "/tmp");
  }

  private static String probe(Network network, String... targets) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("python3", "/probe.py"));
    cmd.addAll(List.of(targets));
    SandboxProcess p =
        base(network).command(cmd).stdout(Stdio.pipe()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    return out;
  }

  private static String read(Path log) {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "";
    }
  }

  private static HostPorts ports(Path log) {
    return HostPorts.of(List.of(listed.port()), log);
  }

  @Test
  void aListedHostPortAnswersAtItsAddressAndNothingElseOfTheHostDoes() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs /usr/bin/python3");
    Path log = dir.resolve("none.log");
    String out =
        probe(
            Network.loopback(ports(log)),
            HostPorts.ADDRESS + ":" + listed.port(),
            HostPorts.ADDRESS + ":" + unlisted.port(),
            "127.0.0.1:" + listed.port(),
            "127.0.0.1:" + unlisted.port(),
            "[::1]:" + listed.port());
    assertEquals(
        "listed:hello\nECONNREFUSED\nECONNREFUSED\nECONNREFUSED\nECONNREFUSED\n", out, out);
    // The line is written when the relay sees both ends close, which may be after the exit.
    String line = "\tallowed\t" + HostPorts.NAME + "\t" + listed.port() + "\t6\t13\t";
    Await.until("the log line " + line, () -> read(log).contains(line));
  }

  @Test
  void theHostsOtherAddressesStayUnreachable() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs /usr/bin/python3");
    Optional<InetAddress> external =
        NetworkInterface.networkInterfaces()
            .filter(i -> !isLoopback(i))
            .flatMap(NetworkInterface::inetAddresses)
            .filter(a -> a instanceof Inet4Address)
            .findFirst();
    assumeTrue(external.isPresent(), "this machine has no non-loopback IPv4 address");
    // A server on every address of the host, at a port that is listed: still only 127.0.0.2 works.
    try (ServerSocket any = new ServerSocket(0, 5, InetAddress.getByName("0.0.0.0"))) {
      String out =
          probe(
              Network.loopback(HostPorts.of(List.of(any.getLocalPort()), null)),
              external.get().getHostAddress() + ":" + any.getLocalPort());
      assertEquals("ENETUNREACH\n", out);
    }
  }

  private static boolean isLoopback(NetworkInterface i) {
    try {
      return i.isLoopback();
    } catch (java.net.SocketException e) {
      return true;
    }
  }

  @Test
  void inProxyModeTheListedPortAnswersWithoutTheProxyAndTheProxyStillWorks() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs /usr/bin/python3");
    Path log = dir.resolve("proxy.log");
    EgressPolicy policy = EgressPolicy.of(Allowlist.parse(List.of())).withLog(log);
    String out =
        probe(
            Network.proxy(policy, ports(log)),
            HostPorts.ADDRESS + ":" + listed.port(),
            HostPorts.ADDRESS + ":" + unlisted.port(),
            // connected or refused is known at once; the answer is not waited for
            "127.0.0.1:" + dev.robojail.net.EgressProxy.PORT + "@0.5");
    // the proxy answers a bare "hello" line with nothing until the head ends: a timeout is fine,
    // an answer would be too; what matters is that it is there and the listed port answers
    List<String> lines = out.lines().toList();
    assertEquals("listed:hello", lines.get(0), out);
    assertEquals("ECONNREFUSED", lines.get(1), out);
    assertFalse(lines.get(2).equals("ECONNREFUSED"), "the proxy listens as before: " + out);
  }

  @Test
  void aListedPortWithNothingListeningOnTheHostIsClosedAndLoggedAsRefused() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs /usr/bin/python3");
    int free;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      free = s.getLocalPort();
    }
    Path log = dir.resolve("nothing.log");
    String out =
        probe(Network.loopback(HostPorts.of(List.of(free), log)), HostPorts.ADDRESS + ":" + free);
    assertTrue(out.equals("closed\n") || out.equals("ECONNRESET\n"), out);
    String line = "\trefused\t" + HostPorts.NAME + "\t" + free + "\t";
    Await.until("the log line " + line, () -> read(log).contains(line));
  }

  @Test
  void theRelayAndItsConnectionsEndWithTheSandbox() throws Exception {
    SandboxProcess p =
        base(Network.loopback(ports(null)))
            .command(
                "python3",
                "-c",
                "import socket,time\ns=socket.create_connection(('"
                    + HostPorts.ADDRESS
                    + "', "
                    + listed.port()
                    + "))\ns.sendall(b'x\\n'); print(s.recv(100).decode().strip(), flush=True);"
                    + " time.sleep(60)")
            .stdout(Stdio.pipe())
            .start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    assertEquals("listed:x", out.readLine());
    HostRelay relay = p.hostRelay().orElseThrow();
    assertEquals(1, relay.openConnections());
    p.destroy();
    p.waitFor();
    Await.until("the relay's connections to close", () -> relay.openConnections() == 0);
  }
}
