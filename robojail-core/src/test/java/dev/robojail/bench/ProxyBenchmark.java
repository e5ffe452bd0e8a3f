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
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

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

      // Each run downloads once along every path in turn, so that the load of a shared machine
      // falls on all of them alike rather than on whichever ran during a busy minute.
      List<Route> paths = new ArrayList<>();
      paths.add(
          new Route("proxy", proxy, "--proxytunnel http://" + NAME + ":" + up.port() + "/big"));
      paths.add(
          new Route("host port", relay, "http://" + HostPorts.ADDRESS + ":" + up.port() + "/big"));
      paths.add(
          new Route(
              "direct", Network.host(), "--noproxy '*' http://127.0.0.1:" + up.port() + "/big"));
      List<Peer> peers = Peer.start(up.port());
      for (Peer peer : peers) {
        paths.add(new Route(peer.name(), Network.host(), peer.curl(), peer::cpu));
      }
      Map<String, List<Double>> speeds = new LinkedHashMap<>();
      Map<String, Parties> cpu = new LinkedHashMap<>();
      try {
        for (int r = 0; r < runs; r++) {
          for (Route path : paths) {
            long relay0 = path.cpu().getAsLong();
            long server0 = up.cpu().get();
            long[] machine0 = Machine.ticks();
            long soft0 = Machine.softirqThreads();
            // the shell's `times`: curl's own CPU time, as its reaped child, on the last line
            List<String> out =
                lines(
                    path.network(),
                    "curl -sS -o /dev/null -w '%{speed_download}\\n' " + path.curl() + "; times");
            long[] machine1 = Machine.ticks();
            double speed = Double.parseDouble(out.getFirst());
            speeds.computeIfAbsent(path.name(), k -> new ArrayList<>()).add(speed);
            cpu.merge(
                path.name(),
                new Parties(
                    size / speed,
                    Machine.shellTimes(out.getLast()),
                    up.cpu().get() - server0,
                    path.cpu().getAsLong() - relay0,
                    (Machine.softirqThreads() - soft0) * Machine.TICK,
                    (machine1[0] - machine0[0]) * Machine.TICK,
                    (machine1[1] - machine0[1]) * Machine.TICK),
                Parties::plus);
          }
        }
      } finally {
        peers.forEach(Peer::close);
      }
      double direct = median(speeds.get("direct"));
      double viaProxy = median(speeds.get("proxy"));

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

      System.out.printf(
          "throughput, %d MiB x %d, paths interleaved (median, MB/s):%n", size >> 20, runs);
      for (Map.Entry<String, List<Double>> e : speeds.entrySet()) {
        double v = median(e.getValue());
        System.out.printf(
            "  %-24s %8.0f   %.2fx direct%s%n",
            e.getKey(), v / 1e6, v / direct, e.getKey().equals("proxy") ? " (target >= 0.80)" : "");
      }
      // Less at the mercy of a busy machine than the ratios: what each party's CPU time was per
      // GiB, and how many cores all of them kept busy during the transfer. When direct already
      // keeps both cores busy, a path through a relay can only be as fast as direct's share of
      // the CPU it needs: direct's total / the path's total is its ceiling.
      double gib = (double) size * runs / (1L << 30);
      Parties directCpu = cpu.get("direct");
      System.out.println(
          "CPU time per GiB moved (ms): client (curl), server, relay, softirq threads, their sum;"
              + " cores they kept busy during the transfer; machine busy (all tenants);"
              + " ceiling = direct sum / sum x direct's cores");
      for (Map.Entry<String, Parties> e : cpu.entrySet()) {
        Parties c = e.getValue();
        System.out.printf(
            "  %-24s %6.0f %6.0f %6.0f %6.0f %7.0f   %.2f cores   machine %3.0f%%   ceiling"
                + " %.2fx%n",
            e.getKey(),
            c.client() / 1e6 / gib,
            c.server() / 1e6 / gib,
            c.relay() / 1e6 / gib,
            c.softirq() / 1e6 / gib,
            c.sum() / 1e6 / gib,
            c.sum() / (c.seconds() * 1e9),
            100.0 * c.machineBusy() / Math.max(1, c.machineAll()),
            (double) directCpu.sum() / c.sum());
      }
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

  private static List<String> lines(Network n, String script) throws Exception {
    return lines(base(n), script);
  }

  private static List<String> lines(Sandbox.Builder b, String script) throws Exception {
    SandboxProcess p = b.command("/bin/sh", "-c", script).stdout(Stdio.pipe()).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException("the benchmark's client failed: " + out);
    }
    return out.lines().toList();
  }

  private static List<Double> python(
      Network n, Path script, String host, int port, String connect, int requests)
      throws Exception {
    return lines(
            base(n).readOnlyBind(script, "/bench.py"),
            "python3 /bench.py " + host + " " + port + " '" + connect + "' " + requests)
        .stream()
        .map(Double::parseDouble)
        .toList();
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

  /**
   * CPU time, in nanoseconds, of each party to the transfers along one path, summed over its runs:
   * the client, the server's sending thread, the relay, the kernel's softirq threads (what the
   * loopback's packet processing did not do in a party's own time); the machine's busy and total
   * CPU time over the same intervals (every tenant of a shared machine); the transfers' seconds.
   */
  private record Parties(
      double seconds,
      long client,
      long server,
      long relay,
      long softirq,
      long machineBusy,
      long machineAll) {
    long sum() {
      return client + server + relay + softirq;
    }

    Parties plus(Parties o) {
      return new Parties(
          seconds + o.seconds,
          client + o.client,
          server + o.server,
          relay + o.relay,
          softirq + o.softirq,
          machineBusy + o.machineBusy,
          machineAll + o.machineAll);
    }
  }

  /** Whole-machine CPU accounting from /proc, in clock ticks of 10 ms. */
  private static final class Machine {
    static final long TICK = 10_000_000L;
    private static final List<Long> SOFTIRQ = softirqPids();

    private Machine() {}

    /** {busy, total} ticks of all CPUs since boot: /proc/stat's first line. */
    static long[] ticks() {
      try {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
        long all = 0;
        for (int i = 1; i < f.length && i <= 8; i++) { // user .. steal; guest is inside user
          all += Long.parseLong(f[i]);
        }
        long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
        return new long[] {all - idle, all};
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    static long softirqThreads() {
      long sum = 0;
      for (long pid : SOFTIRQ) {
        try {
          String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          sum += Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException e) {
          // not visible here
        }
      }
      return sum;
    }

    private static List<Long> softirqPids() {
      List<Long> pids = new ArrayList<>();
      try (var dirs = Files.list(Path.of("/proc"))) {
        for (Path d : dirs.toList()) {
          String name = d.getFileName().toString();
          if (name.chars().allMatch(Character::isDigit)) {
            try {
              if (Files.readString(d.resolve("comm")).startsWith("ksoftirqd/")) {
                pids.add(Long.parseLong(name));
              }
            } catch (IOException e) {
              // ended meanwhile
            }
          }
        }
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      return pids;
    }

    /** The children's line of dash's {@code times}, "0m0.120000s 0m0.350000s", in nanoseconds. */
    static long shellTimes(String line) {
      long sum = 0;
      for (String t : line.trim().split("\\s+")) {
        int m = t.indexOf('m');
        sum +=
            (long)
                ((Long.parseLong(t.substring(0, m)) * 60
                        + Double.parseDouble(t.substring(m + 1, t.length() - 1)))
                    * 1e9);
      }
      return sum;
    }
  }

  /** One way from a client in a sandbox to the upstream: its network and curl's arguments. */
  private record Route(String name, Network network, String curl, LongSupplier cpu) {
    Route(String name, Network network, String curl) {
      this(name, network, curl, ProxyBenchmark::relayThreadsCpu);
    }
  }

  /** CPU time, in nanoseconds, of the threads robojail relays connections on (alive ones). */
  private static long relayThreadsCpu() {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("robojail-relay-")) {
        sum += Math.max(0, mx.getThreadCpuTime(t.threadId()));
      }
    }
    return sum;
  }

  /**
   * Another relay or CONNECT proxy on the host, run in the same benchmark for comparison when it is
   * installed (.ci/run installs both): socat copies with read and write, tinyproxy tunnels CONNECT.
   */
  private record Peer(String name, Process process, String curl) implements AutoCloseable {
    static List<Peer> start(int upstream) throws IOException, InterruptedException {
      List<Peer> peers = new ArrayList<>();
      if (onPath("socat")) {
        int port = freePort();
        peers.add(
            started(
                new Peer(
                    "socat (TCP relay)",
                    new ProcessBuilder(
                            "socat",
                            "TCP-LISTEN:" + port + ",bind=127.0.0.1,reuseaddr,fork",
                            "TCP:127.0.0.1:" + upstream)
                        .redirectErrorStream(true)
                        .start(),
                    "--noproxy '*' http://127.0.0.1:" + port + "/big"),
                port));
      }
      if (onPath("tinyproxy")) {
        int port = freePort();
        Path conf = Files.createTempFile("robojail-bench-tinyproxy", ".conf");
        Files.writeString(
            conf,
            "Port %d\nListen 127.0.0.1\nAllow 127.0.0.1\nConnectPort %d\nMaxClients 200\nLogLevel Error\n"
                .formatted(port, upstream));
        peers.add(
            started(
                new Peer(
                    "tinyproxy (CONNECT)",
                    new ProcessBuilder("tinyproxy", "-d", "-c", conf.toString())
                        .redirectErrorStream(true)
                        .start(),
                    "--proxytunnel -x http://127.0.0.1:"
                        + port
                        + " http://127.0.0.1:"
                        + upstream
                        + "/big"),
                port));
        conf.toFile().deleteOnExit();
      }
      return peers;
    }

    private static Peer started(Peer p, int port) throws InterruptedException {
      for (int i = 0; i < 100; i++) {
        try {
          new Socket(InetAddress.getLoopbackAddress(), port).close();
          return p;
        } catch (IOException e) {
          Thread.sleep(50);
        }
      }
      p.close();
      throw new IllegalStateException(p.name() + " did not listen on " + port);
    }

    private static boolean onPath(String program) {
      for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
        if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
          return true;
        }
      }
      return false;
    }

    private static int freePort() throws IOException {
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        return s.getLocalPort();
      }
    }

    /**
     * CPU time of the peer, its reaped children and its live ones (socat forks one per connection),
     * in nanoseconds, in clock ticks of 10 ms.
     */
    long cpu() {
      long ticks = ticks(process.pid(), true);
      try {
        String children =
            Files.readString(
                Path.of("/proc/" + process.pid() + "/task/" + process.pid() + "/children"));
        for (String child : children.strip().split(" ")) {
          if (!child.isEmpty()) {
            ticks += ticks(Long.parseLong(child), false);
          }
        }
      } catch (IOException e) {
        // no children now
      }
      return ticks * 10_000_000L;
    }

    private static long ticks(long pid, boolean withReaped) {
      try {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = 0;
        for (int i = 11; i <= (withReaped ? 14 : 12); i++) { // utime, stime, cutime, cstime
          ticks += Long.parseLong(f[i]);
        }
        return ticks;
      } catch (IOException e) {
        return 0; // it ended meanwhile
      }
    }

    @Override
    public void close() {
      process.destroy();
    }
  }

  /** A minimal HTTP/1.1 server on the host's loopback: {@code /big} and {@code /small}. */
  private record Upstream(ServerSocket socket, long size, AtomicLong cpu) implements AutoCloseable {
    static Upstream start(long size) throws IOException {
      ServerSocket ss = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
      Upstream u = new Upstream(ss, size, new AtomicLong());
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
          ThreadMXBean mx = ManagementFactory.getThreadMXBean();
          long cpu0 = mx.getCurrentThreadCpuTime();
          byte[] chunk = new byte[1 << 16];
          try {
            for (long sent = 0; sent < size; sent += chunk.length) {
              out.write(chunk, 0, (int) Math.min(chunk.length, size - sent));
            }
          } finally {
            cpu.addAndGet(mx.getCurrentThreadCpuTime() - cpu0);
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
