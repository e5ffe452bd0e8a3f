package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.sandbox.Stdio;
import dev.robojail.testkit.TestRepo;
import dev.robojail.testkit.TestWorld;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Running a jail many times in one JVM, as an embedding tool does, leaves neither descriptors nor
 * robojail's own threads behind: each run opens pipes, a pidfd and a reaper thread, and registers a
 * shutdown hook, and all of them must go when the run ends.
 */
@NeedsUserNamespaces
class JailRunLeakTest {
  // Was 200: a leak of one descriptor or thread a run shows a hundredfold either way.
  private static final int RUNS = 100;

  @TempDir Path tmp;

  @Test
  void aHundredRunsLeaveNoDescriptorOrThread() throws Exception {
    // The namespace tests are re-run as nobody, who must be able to write here.
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
    Path home = Files.createDirectories(tmp.resolve("home"));
    TestRepo repo = TestRepo.init(tmp.resolve("repo"));
    repo.write("README", "hello\n").commit("initial");
    Jails jails = Jails.open(TestWorld.in(tmp).dirs(), home);
    jails.create("j", repo.dir);
    for (int i = 0; i < 5; i++) {
      run(jails, i);
    }
    long fds = fds();
    long threads = robojailThreads();
    long relays = relayThreads();
    for (int i = 0; i < RUNS; i++) {
      run(jails, i);
    }
    // a reaper closes its pidfd and ends just after the exit status is published
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while ((fds() > fds || robojailThreads() > threads) && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    // Fewer is fine: what an earlier test of this JVM left (an idle watch, a reaper) may end
    // meanwhile; a leak of one a run would show a hundredfold.
    long fdsAfter = fds();
    long threadsAfter = robojailThreads();
    assertTrue(fdsAfter <= fds, "descriptors open: " + fds + " before, " + fdsAfter + " after");
    assertTrue(
        threadsAfter <= threads,
        "robojail threads alive: " + threads + " before, " + threadsAfter + " after");
    // The proxy's pool keeps idle threads a minute, those of earlier tests too, and lets them go
    // meanwhile: fewer is fine, more would be a leak.
    assertTrue(
        relayThreads() <= relays, "relay threads after " + RUNS + " runs: " + relayThreads());
  }

  private static void run(Jails jails, int i) {
    // an exit status that only a run that really happened can give
    int status =
        jails.run(
            "j", List.of("sh", "-c", "exit " + (i % 7)), false, b -> b.stdin(Stdio.discard()));
    assertEquals(i % 7, status);
  }

  private static long fds() throws IOException {
    try (var s = Files.list(Path.of("/proc/self/fd"))) {
      return s.count();
    }
  }

  private static long robojailThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("robojail-"))
        .filter(t -> !t.getName().startsWith("robojail-relay-"))
        .count();
  }

  private static long relayThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("robojail-relay-"))
        .count();
  }
}
