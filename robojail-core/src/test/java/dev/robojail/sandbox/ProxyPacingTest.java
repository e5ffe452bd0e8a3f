package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.net.Allowlist;
import dev.robojail.net.EgressPolicy;
import dev.robojail.net.EgressProxy;
import dev.robojail.net.HostPorts;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Which congestion control the relay's sockets use, read with {@code ss} from the kernel's own
 * socket table: inside the jail's network namespace (where the relay's jail-side socket lives) and
 * on the host. The jail side is always on a loopback and is not paced (Reno, whatever the host's
 * default, BBR on many hosts); the host side is as well when its peer is on the loopback, and keeps
 * the host's default towards any other address. The jail's own sockets keep the default.
 */
@NeedsUserNamespaces
class ProxyPacingTest {
  private static final String HOLD =
      """
      import socket, subprocess, sys
      port, how = int(sys.argv[1]), sys.argv[2]
      if how == 'proxy':
          s = socket.create_connection(('127.0.0.1', %d))
          s.sendall(b'CONNECT upstream.test:%%d HTTP/1.1\\r\\n\\r\\n' %% port)
          assert s.recv(100).startswith(b'HTTP/1.1 200'), 'no tunnel'
      else:
          s = socket.create_connection(('%s', port))
      s.sendall(b'hello')
      assert s.recv(5) == b'hello'
      print(open('/proc/sys/net/ipv4/tcp_congestion_control').read().strip())
      print(subprocess.run(['ss', '-tinH', 'state', 'established'], capture_output=True,
                           text=True).stdout.replace('\\n\\t', ' '), end='')
      print('ready', flush=True)
      sys.stdin.readline()
      """
          .formatted(EgressProxy.PORT, HostPorts.ADDRESS);

  @Test
  void theJailSideOfATunnelIsNotPacedNorTheHostSideToTheLoopback() throws Exception {
    try (Echo echo = new Echo(InetAddress.getLoopbackAddress())) {
      Held h = hold(proxy(InetAddress.getLoopbackAddress()), "proxy", echo);
      assertEquals("reno", congestion(h.inside(), ":" + EgressProxy.PORT + " "), h.inside());
      assertEquals(h.jailDefault(), congestion(h.inside(), ":" + EgressProxy.PORT + "\n"));
      assertEquals("reno", congestion(h.host(), ":" + echo.port() + "\n"), h.host());
    }
  }

  @Test
  void theHostSideToAnyOtherAddressKeepsTheHostsDefault() throws Exception {
    Optional<InetAddress> own = ownNonLoopbackAddress();
    assumeTrue(own.isPresent(), "this machine has no IPv4 address but its loopback");
    try (Echo echo = new Echo(own.get())) {
      Held h = hold(proxy(own.get()), "proxy", echo);
      assertEquals("reno", congestion(h.inside(), ":" + EgressProxy.PORT + " "), h.inside());
      assertEquals(hostDefault(), congestion(h.host(), ":" + echo.port() + "\n"), h.host());
    }
  }

  @Test
  void bothSidesOfAHostPortAreNotPaced() throws Exception {
    try (Echo echo = new Echo(InetAddress.getLoopbackAddress())) {
      Held h = hold(Network.loopback(HostPorts.of(List.of(echo.port()), null)), "host port", echo);
      assertEquals("reno", congestion(h.inside(), ":" + echo.port() + " "), h.inside());
      assertEquals(h.jailDefault(), congestion(h.inside(), ":" + echo.port() + "\n"));
      assertEquals("reno", congestion(h.host(), ":" + echo.port() + "\n"), h.host());
    }
  }

  private static Network proxy(InetAddress upstream) {
    return Network.proxy(
        EgressPolicy.of(Allowlist.parse(List.of("upstream.test", upstream.getHostAddress())))
            .withResolver(n -> List.of(upstream)));
  }

  /**
   * {jail's default congestion control, the jail's established sockets, the host's}, each socket on
   * one line as {@code ss -tinH} prints it, while a connection through the relay is open.
   */
  private record Held(String jailDefault, String inside, String host) {}

  private static Held hold(Network network, String how, Echo echo) throws Exception {
    boolean ss =
        Files.isExecutable(Path.of("/usr/bin/ss")) || Files.isExecutable(Path.of("/bin/ss"));
    // .ci/run installs iproute2: in CI a missing ss is a failure, not a skip
    assertTrue(ss || !"true".equalsIgnoreCase(System.getenv("CI")), "needs ss (iproute2)");
    assumeTrue(ss, "needs ss (iproute2)");
    Path script = Files.createTempFile("robojail-pacing", ".py");
    Files.writeString(script, HOLD);
    script.toFile().setReadable(true, false);
    try {
      SandboxProcess p =
          Sandbox.builder()
              .minimalSystem()
              .network(network)
              .env("PATH", "/usr/bin:/bin:/usr/sbin:/sbin")
              .env("HOME", "/tmp")
              .readOnlyBind(script, "/hold.py")
              .command("python3", "/hold.py", Integer.toString(echo.port()), how)
              .stdin(Stdio.pipe())
              .stdout(Stdio.pipe())
              .redirectErrorStream(true)
              .start();
      BufferedReader out =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      List<String> lines = new ArrayList<>();
      for (String l = out.readLine(); l != null && !l.equals("ready"); l = out.readLine()) {
        lines.add(l);
      }
      String host = ss();
      new PrintWriter(p.getOutputStream(), true, StandardCharsets.UTF_8).println("done");
      assertEquals(0, p.waitFor(), String.join("\n", lines));
      assertTrue(!lines.isEmpty(), "no output from the jail");
      return new Held(
          lines.getFirst(), String.join("\n", lines.subList(1, lines.size())) + "\n", host);
    } finally {
      Files.delete(script);
    }
  }

  private static String ss() throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder("ss", "-tinH", "state", "established").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    return out.replace("\n\t", " ");
  }

  /**
   * The congestion control of the one socket in {@code table} whose line contains {@code address}:
   * {@code ":3128 "} is the local end at that port (the peer follows), {@code ":3128\n"} the remote
   * end.
   */
  private static String congestion(String table, String address) throws IOException {
    List<String> known =
        List.of(
            Files.readString(Path.of("/proc/sys/net/ipv4/tcp_available_congestion_control"))
                .strip()
                .split(" "));
    List<String> found = new ArrayList<>();
    for (String line : table.lines().toList()) {
      // recv-q send-q local peer, then the details ("ts sack cubic wscale:7,7 ...")
      List<String> f = List.of(line.trim().split("\\s+"));
      if (f.size() > 4 && (" " + f.get(2) + " " + f.get(3) + "\n").contains(address)) {
        found.add(f.stream().skip(4).filter(known::contains).findFirst().orElse("none: " + line));
      }
    }
    assertEquals(1, found.size(), "one socket with " + address.strip() + " in:\n" + table);
    return found.getFirst();
  }

  private static String hostDefault() throws IOException {
    return Files.readString(Path.of("/proc/sys/net/ipv4/tcp_congestion_control")).strip();
  }

  private static Optional<InetAddress> ownNonLoopbackAddress() throws IOException {
    for (NetworkInterface i : NetworkInterface.networkInterfaces().toList()) {
      if (i.isUp() && !i.isLoopback()) {
        for (InetAddress a : i.inetAddresses().toList()) {
          if (a instanceof Inet4Address) {
            return Optional.of(a);
          }
        }
      }
    }
    return Optional.empty();
  }

  /** Echoes what each connection sends, on {@code address}. */
  private static final class Echo implements AutoCloseable {
    private final ServerSocket socket;

    Echo(InetAddress address) throws IOException {
      socket = new ServerSocket(0, 5, address);
      Thread.ofPlatform()
          .daemon()
          .start(
              () -> {
                while (!socket.isClosed()) {
                  try {
                    Socket c = socket.accept();
                    Thread.ofPlatform()
                        .daemon()
                        .start(
                            () -> {
                              try (c) {
                                c.getInputStream().transferTo(c.getOutputStream());
                              } catch (IOException e) {
                                // the client went
                              }
                            });
                  } catch (IOException e) {
                    return;
                  }
                }
              });
    }

    int port() {
      return socket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
