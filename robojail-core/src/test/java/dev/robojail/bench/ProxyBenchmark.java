package dev.robojail.bench;

import dev.robojail.net.Allowlist;
import dev.robojail.net.EgressPolicy;
import dev.robojail.net.EgressProxy;
import dev.robojail.net.HostPorts;
import dev.robojail.net.ProxyEnvironment;
import dev.robojail.sandbox.Network;
import dev.robojail.sandbox.Sandbox;
import dev.robojail.sandbox.SandboxProcess;
import dev.robojail.sandbox.Stdio;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The egress proxy (and the host-port relay, which copies the same way) against the same work done
 * directly, in one run, with real sockets and real clients inside real sandboxes:
 *
 * <ol>
 *   <li>throughput: curl downloads {@code SIZE_MB} from a server on the host's loopback, through
 *       the proxy ({@code CONNECT}), through a host port, and directly (a sandbox with the host's
 *       network), {@code RUNS} times each; medians;
 *   <li>latency: a Python client inside makes {@code REQUESTS} sequential requests, each on a new
 *       connection, through the proxy and directly; medians of the per-request time;
 *   <li>memory: the JVM's resident set before and with 100 tunnels open through the proxy to an
 *       upstream in another process (so that only the proxy's share is counted).
 * </ol>
 *
 * Usage: {@code ProxyBenchmark [SIZE_MB [RUNS [REQUESTS]]]} (default 512 5 500). Prints figures and
 * the ratios against the targets; exits 1 if a target is missed. Not a test: figures, on a shared
 * machine.
 */
public final class ProxyBenchmark {
  private static final String NAME = "bench.test";

  private ProxyBenchmark() {}

  public static void main(String[] args) throws Exception {
    long size = (args.length > 0 ? Long.parseLong(args[0]) : 512) << 20;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    int requests = args.length > 2 ? Integer.parseInt(args[2]) : 500;
    try (Upstream up = Upstream.start(size)) {
      EgressPolicy policy =
          EgressPolicy.of(Allowlist.parse(List.of(NAME, "127.0.0.1")))
              .withResolver(n -> List.of(InetAddress.ofLiteral("127.0.0.1")));
      Network proxy = Network.proxy(policy);
      Network relay = Network.loopback(HostPorts.of(List.of(up.port()), null));

      String curl =
          "for i in $(seq "
              + runs
              + "); do curl -sS -o /dev/null -w '%{speed_download}\\n' %s; done";
      double viaProxy =
          median(
              lines(
                  proxy,
                  curl.replace("%s", "--proxytunnel http://" + NAME + ":" + up.port() + "/big")));
      double viaRelay =
          median(
              lines(
                  relay,
                  curl.replace("%s", "http://" + HostPorts.ADDRESS + ":" + up.port() + "/big")));
      double direct =
          median(
              lines(
                  Network.host(),
                  curl.replace("%s", "--noproxy '*' http://127.0.0.1:" + up.port() + "/big")));

      Path py = Files.createTempFile("robojail-bench", ".py");
      Files.writeString(py, LATENCY);
      double proxyUs =
          median(
              python(
                  proxy,
                  py,
                  "127.0.0.1",
                  EgressProxy.PORT,
                  "CONNECT " + NAME + ":" + up.port(),
                  requests));
      double directUs = median(python(Network.host(), py, "127.0.0.1", up.port(), "-", requests));
      Files.delete(py);

      long[] memory = memory(policy);

      System.out.printf("throughput, %d MiB x %d (median, MB/s):%n", size >> 20, runs);
      System.out.printf("  direct      %8.0f%n", direct / 1e6);
      System.out.printf(
          "  proxy       %8.0f   %.2fx direct (target >= 0.80)%n",
          viaProxy / 1e6, viaProxy / direct);
      System.out.printf("  host port   %8.0f   %.2fx direct%n", viaRelay / 1e6, viaRelay / direct);
      System.out.printf(
          "latency per request on a new connection, %d requests (median, us):%n", requests);
      System.out.printf("  direct      %8.0f%n", directUs);
      System.out.printf(
          "  proxy       %8.0f   +%.0f us (target <= 1000)%n", proxyUs, proxyUs - directUs);
      System.out.printf(
          "memory, 100 open tunnels: JVM resident set +%.1f MB, %d threads more (target <= 20 MB)%n",
          memory[0] / 1e6, memory[1]);
      boolean ok =
          viaProxy / direct >= 0.8 && proxyUs - directUs <= 1000 && memory[0] <= 20_000_000;
      System.out.println(ok ? "all targets met" : "a target was missed");
      System.exit(ok ? 0 : 1);
    }
  }

  private static Sandbox.Builder base(Network n) {
    Sandbox.Builder b =
        Sandbox.builder()
            .minimalSystem()
            .network(n)
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", "/tmp");
    if (n instanceof Network.Proxy) {
      b.environment(ProxyEnvironment.variables());
    }
    return b;
  }

  private static List<Double> lines(Network n, String script) throws Exception {
    return lines(base(n), script);
  }

  private static List<Double> lines(Sandbox.Builder b, String script) throws Exception {
    SandboxProcess p = b.command("/bin/sh", "-c", script).stdout(Stdio.pipe()).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException("the benchmark's client failed: " + out);
    }
    return out.lines().map(Double::parseDouble).toList();
  }

  private static List<Double> python(
      Network n, Path script, String host, int port, String connect, int requests)
      throws Exception {
    return lines(
        base(n).readOnlyBind(script, "/bench.py"),
        "python3 /bench.py " + host + " " + port + " '" + connect + "' " + requests);
  }

  // One request per connection, timed from connect to the last byte of the answer; the first
  // tenth warms up and is not counted.
  private static final String LATENCY =
      """
      import socket, sys, time
      host, port, connect, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
      def once():
          t = time.perf_counter()
          s = socket.create_connection((host, port))
          s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
          f = s.makefile('rb')
          if connect != '-':
              s.sendall(connect.encode() + b' HTTP/1.1\\r\\n\\r\\n')
              while f.readline() not in (b'\\r\\n', b''):
                  pass
          s.sendall(b'GET /small HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n')
          f.read()
          s.close()
          return (time.perf_counter() - t) * 1e6
      times = [once() for _ in range(n + n // 10)][n // 10:]
      for x in times:
          print(x)
      """;

  /** {resident set growth in bytes, thread count growth} with 100 tunnels open. */
  private static long[] memory(EgressPolicy policy) throws Exception {
    Process holder =
        new ProcessBuilder(
                "python3",
                "-c",
                "import socket, threading, sys\n"
                    + "s = socket.create_server(('127.0.0.1', 0), backlog=200)\n"
                    + "print(s.getsockname()[1], flush=True)\n"
                    + "held = []\n"
                    + "while True:\n"
                    + "    c, _ = s.accept(); held.append(c)\n")
            .start();
    try {
      int port =
          Integer.parseInt(
              new BufferedReader(new InputStreamReader(holder.getInputStream()))
                  .readLine()
                  .strip());
      String client =
          "import socket, sys\n"
              + "sys.stdin.readline()\n"
              + "held = []\n"
              + "for i in range(100):\n"
              + "    s = socket.create_connection(('127.0.0.1', "
              + EgressProxy.PORT
              + "))\n"
              + "    s.sendall(b'CONNECT "
              + NAME
              + ":"
              + port
              + " HTTP/1.1\\r\\n\\r\\n')\n"
              + "    assert s.recv(100).startswith(b'HTTP/1.1 200'), i\n"
              + "    held.append(s)\n"
              + "print('ready', flush=True)\n"
              + "sys.stdin.readline()\n";
      SandboxProcess p =
          base(Network.proxy(policy))
              .command("python3", "-c", client)
              .stdin(Stdio.pipe())
              .stdout(Stdio.pipe())
              .start();
      PrintWriter in = new PrintWriter(p.getOutputStream(), true, StandardCharsets.UTF_8);
      BufferedReader out =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      long rss0 = settledRss();
      long threads0 = Thread.getAllStackTraces().size();
      in.println("go");
      if (!"ready".equals(out.readLine())) {
        throw new IllegalStateException("the tunnels did not open");
      }
      int open = p.egress().orElseThrow().openConnections();
      if (open != 100) {
        throw new IllegalStateException(open + " connections open, not 100");
      }
      long rss1 = settledRss();
      long threads1 = Thread.getAllStackTraces().size();
      in.println("done");
      p.waitFor();
      return new long[] {rss1 - rss0, threads1 - threads0};
    } finally {
      holder.destroyForcibly().waitFor();
    }
  }

  private static long settledRss() throws IOException, InterruptedException {
    System.gc();
    Thread.sleep(300);
    for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (l.startsWith("VmRSS:")) {
        return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IllegalStateException("no VmRSS");
  }

  private static double median(List<Double> xs) {
    double[] a = xs.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(a);
    return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  }

  /** A minimal HTTP/1.1 server on the host's loopback: {@code /big} and {@code /small}. */
  private record Upstream(ServerSocket socket, long size) implements AutoCloseable {
    static Upstream start(long size) throws IOException {
      ServerSocket ss = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
      Upstream u = new Upstream(ss, size);
      Thread.ofPlatform()
          .daemon()
          .start(
              () -> {
                while (!ss.isClosed()) {
                  try {
                    Socket c = ss.accept();
                    c.setTcpNoDelay(true);
                    Thread.ofPlatform().daemon().start(() -> u.answer(c));
                  } catch (IOException e) {
                    return;
                  }
                }
              });
      return u;
    }

    int port() {
      return socket.getLocalPort();
    }

    private void answer(Socket c) {
      try (c) {
        InputStream in = c.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
          int b = in.read();
          if (b < 0) {
            return;
          }
          head.append((char) b);
        }
        OutputStream out = c.getOutputStream();
        if (head.toString().startsWith("GET /big")) {
          out.write(
              ("HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\nConnection: close\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
          byte[] chunk = new byte[1 << 16];
          for (long sent = 0; sent < size; sent += chunk.length) {
            out.write(chunk, 0, (int) Math.min(chunk.length, size - sent));
          }
        } else {
          out.write(
              "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n"
                  .getBytes(StandardCharsets.US_ASCII));
        }
      } catch (IOException e) {
        // the client went
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
