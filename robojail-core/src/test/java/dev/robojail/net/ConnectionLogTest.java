package dev.robojail.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.ffm.Programs;
import dev.robojail.sandbox.Network;
import dev.robojail.sandbox.Sandbox;
import dev.robojail.sandbox.SandboxProcess;
import dev.robojail.sandbox.Stdio;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A jail writes its proxy's log by making connections, as many as it likes: the log must not fill
 * the user's disk, nor make {@code status}, which reads it, unbounded.
 */
class ConnectionLogTest {
  @TempDir Path dir;

  @Test
  void theLogIsRotatedAtItsBoundAndKeepsWholeLinesAlsoWithTwoWritersOfOneFile() throws Exception {
    Path file = dir.resolve("network/j.log");
    long bound = 8192;
    // the proxy and the host-port relay of one jail each have their own instance
    List<ConnectionLog> logs =
        List.of(new ConnectionLog(file, bound), new ConnectionLog(file, bound));
    int threads = 8;
    int perThread = 500;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        ConnectionLog log = logs.get(t % 2);
        String host = "h" + t + ".example";
        done.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < perThread; i++) {
                    log.append(new ConnectionLog.Line(false, host, 443, 0, 0, "not allowed"));
                  }
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    Path previous = ConnectionLog.previous(file);
    assertTrue(Files.size(file) <= bound, Files.size(file) + " bytes");
    assertTrue(Files.size(previous) <= bound, Files.size(previous) + " bytes");
    try (Stream<Path> files = Files.list(file.getParent())) {
      assertEquals(List.of(file, previous), files.sorted().toList(), "nothing but the two parts");
    }
    int lines = 0;
    for (Path f : List.of(previous, file)) {
      String text = Files.readString(f);
      assertTrue(text.endsWith("\n"), f.toString());
      for (String l : text.lines().toList()) {
        assertEquals(7, l.split("\t", -1).length, "a whole line: " + l);
        lines++;
      }
    }
    int counted = ConnectionLog.refused(file).values().stream().mapToInt(Integer::intValue).sum();
    assertEquals(lines, counted, "status counts both parts");
    assertTrue(lines < threads * perThread, "the oldest lines went: " + lines);
  }

  @Test
  void refusedCountsWhatIsLeftOfTheLogWithoutOne() throws Exception {
    Path file = dir.resolve("none.log");
    assertEquals(Map.of(), ConnectionLog.refused(file));
    new ConnectionLog(file).append(new ConnectionLog.Line(false, "a.example", 80, 0, 0, "no"));
    assertEquals(Map.of("a.example:80", 1), ConnectionLog.refused(file));
  }

  /**
   * The attack for real: a jail floods its proxy with refused requests, each with the longest host
   * name it can send (a line of 348 bytes; measured about 6,000 a second on a 2-core machine, 2
   * MB/s or 7 GB an hour of log before the bound), until the log has been rotated.
   */
  @Test
  @NeedsUserNamespaces
  void aJailFloodingItsProxyCannotGrowTheLogPastTwiceTheBound() throws Exception {
    Programs.require("/usr/bin/python3", "Debian's python3");
    Path log = dir.resolve("flood.log");
    EgressPolicy policy = EgressPolicy.of(Allowlist.parse(List.of("allowed.test"))).withLog(log);
    // more than both parts hold, so the oldest lines must have gone
    long requests = 2 * ConnectionLog.MAX_BYTES / 340 + 2_000;
    String py =
        "import socket\n"
            + "host = b'x' * 250 + b'.test'\n"
            + "for i in range("
            + requests
            + "):\n"
            + "    s = socket.create_connection(('127.0.0.1', "
            + EgressProxy.PORT
            + "))\n"
            + "    s.sendall(b'CONNECT ' + host + b':443 HTTP/1.1\\r\\n\\r\\n')\n"
            + "    answer = s.recv(100)\n"
            + "    s.close()\n"
            + "print(answer.split(b'\\r\\n')[0].decode())\n";
    SandboxProcess p =
        Sandbox.builder()
            .minimalSystem()
            .network(Network.proxy(policy))
            .env("PATH", "/usr/bin:/bin")
            .command("/usr/bin/python3", "-c", py)
            .stdout(Stdio.pipe())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    assertEquals("HTTP/1.1 403 Forbidden\n", out, "the proxy still answers after the rotation");
    Path previous = ConnectionLog.previous(log);
    assertTrue(Files.exists(previous), "the flood outgrew the bound, so the log was rotated");
    assertTrue(Files.size(log) <= ConnectionLog.MAX_BYTES, Files.size(log) + " bytes");
    assertTrue(Files.size(previous) <= ConnectionLog.MAX_BYTES, Files.size(previous) + " bytes");
    int counted = ConnectionLog.refused(log).values().stream().mapToInt(Integer::intValue).sum();
    assertTrue(counted > 0 && counted < requests, counted + " of " + requests);
  }
}
