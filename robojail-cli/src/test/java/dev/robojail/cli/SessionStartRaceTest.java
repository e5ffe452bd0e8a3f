package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.Await;
import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.jail.JailException;
import dev.robojail.jail.JailName;
import dev.robojail.jail.Jails;
import dev.robojail.sandbox.Stdio;
import dev.robojail.testkit.TestWorld;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs that arrive while another session is starting the jail: its session exists, its PID 1 does
 * not yet. They wait for that start, then join the jail it made; and when it fails instead, exactly
 * one of them starts the jail and the others join that one ({@code exec} says the jail is not
 * running). The first session is a run of the library in this JVM, held in its build; the others
 * are {@code robojail} processes. That they really waited is seen, not timed: this JVM holds the
 * state file's lock until the kernel lists each of them as waiting for it ({@code /proc/locks}),
 * and lets the first session's build go on only once each has taken and released it since, so that
 * each looked at the jail while it was starting.
 */
@NeedsUserNamespaces
class SessionStartRaceTest {
  // Each session ($0) leaves what it saw and waits until the other two ($1, $2) are in, so that
  // none ends the jail under another: its parent (1 when it started the jail: the jail's PID 1;
  // 0, outside, when it joined) and its PID namespace.
  private static final String SESSION =
      "echo $PPID > $0-ppid; readlink /proc/self/ns/pid > $0-ns; touch $0-in;"
          + " i=0; until test -e $1-in -a -e $2-in || test $i -gt 1200; do sleep 0.05;"
          + " i=$((i+1)); done";

  @TempDir Path tmp;
  private TestWorld world;
  private MainProcess robojail;
  private Jails jails;
  private Path worktree;
  private final CountDownLatch building = new CountDownLatch(1);
  private final CountDownLatch buildGoesOn = new CountDownLatch(1);
  private final Map<Process, String> started = new LinkedHashMap<>();

  @BeforeEach
  void create() throws Exception {
    world = TestWorld.in(tmp);
    Path repo = world.repo("repo").dir;
    robojail = new MainProcess(world);
    Result r = robojail.run("create", "--name", "j", "--repo", repo.toString());
    assertEquals(0, r.code(), r.err());
    worktree = world.dirs().jailDir(JailName.of("j"));
    jails = world.jails();
  }

  @AfterEach
  void end() throws Exception {
    buildGoesOn.countDown();
    for (Process p : started.keySet()) {
      p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** A first session in this JVM, held in its build until {@link #buildGoesOn}; then it fails. */
  private CompletableFuture<Integer> firstSession(boolean fails, String... command) {
    CompletableFuture<Integer> first =
        CompletableFuture.supplyAsync(
            () ->
                jails.run(
                    "j",
                    List.of(command),
                    false,
                    b -> {
                      building.countDown();
                      awaitQuietly(buildGoesOn);
                      if (fails) {
                        throw new JailException("the first session's build failed");
                      }
                      return b.stdin(Stdio.discard()).stdout(Stdio.discard());
                    }));
    awaitQuietly(building);
    return first;
  }

  private Process robojail(String who, String... args) throws IOException {
    Process p =
        robojail.start(
            Map.of(),
            Files.createFile(tmp.resolve(who + ".out")),
            Files.createFile(tmp.resolve(who + ".err")),
            args);
    started.put(p, who);
    return p;
  }

  private Process session(String who, String other, String third) throws IOException {
    return robojail(who, "run", "j", "--", "sh", "-c", SESSION, who, other, third);
  }

  /**
   * With the state file's lock held here until every one of {@code waiters} is waiting for it, then
   * released: returns once each has taken it and let it go again, that is, has looked at the jail
   * as it is now.
   */
  private void letEachLookOnce(Process... waiters) throws IOException, InterruptedException {
    letEachLookOnce(Duration.ZERO, waiters);
  }

  /** The same, with the lock held for {@code longer} once they all wait for it. */
  private void letEachLookOnce(Duration longer, Process... waiters)
      throws IOException, InterruptedException {
    Path lockFile = world.dirs().stateFile().resolveSibling("jails.json.lock");
    try (FileChannel channel =
            FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock _ = channel.lock()) {
      long inode = (Long) Files.getAttribute(lockFile, "unix:ino");
      for (Process p : waiters) {
        Await.until(
            p.pid() + " waiting for the state lock",
            () -> {
              assertTrue(p.isAlive(), () -> output(p));
              return lockWaiters(inode).contains(p.pid());
            });
      }
      Thread.sleep(longer);
    }
    long inode = (Long) Files.getAttribute(lockFile, "unix:ino");
    for (Process p : waiters) {
      // It was blocked on the lock: not listed at all any more, it has had the lock and let go.
      Await.until(
          p.pid() + " done with the state lock", () -> !lockHolders(inode).contains(p.pid()));
    }
  }

  private static List<Long> lockWaiters(long inode) {
    return locks(inode, true);
  }

  private static List<Long> lockHolders(long inode) {
    List<Long> all = locks(inode, true);
    all.addAll(locks(inode, false));
    return all;
  }

  // /proc/locks: "1: POSIX  ADVISORY  WRITE 3852 fe:00:2572290 0 EOF", waiters with "->" after the
  // number.
  private static List<Long> locks(long inode, boolean waiting) {
    try {
      List<Long> pids = new ArrayList<>();
      for (String line : Files.readAllLines(Path.of("/proc/locks"))) {
        String[] f = line.trim().split("\\s+");
        int at = f.length > 1 && f[1].equals("->") ? 2 : 1;
        if ((at == 2) == waiting
            && f.length > at + 4
            && f[at].equals("POSIX")
            && f[at + 4].endsWith(":" + inode)) {
          pids.add(Long.parseLong(f[at + 3]));
        }
      }
      return pids;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private String output(Process p) {
    try {
      return Files.readString(tmp.resolve(started.get(p) + ".err"));
    } catch (IOException e) {
      return e.toString();
    }
  }

  private int exitOf(Process p) throws InterruptedException {
    assertTrue(p.waitFor(2, TimeUnit.MINUTES), "robojail did not end");
    return p.exitValue();
  }

  private String seen(String file) throws IOException {
    return Files.readString(worktree.resolve(file)).strip();
  }

  private static void assertBuildFailed(CompletableFuture<Integer> first) {
    ExecutionException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            ExecutionException.class, () -> first.get(60, TimeUnit.SECONDS));
    assertEquals("the first session's build failed", e.getCause().getMessage());
  }

  @Test
  void runsThatWaitedForAStartThatFailedStartTheJailOnceAndJoinIt() throws Exception {
    CompletableFuture<Integer> first = firstSession(true, "true");
    Process b = session("b", "c", "b");
    Process c = session("c", "b", "c");
    letEachLookOnce(b, c);
    buildGoesOn.countDown();
    assertBuildFailed(first);
    assertEquals(0, exitOf(b), output(b));
    assertEquals(0, exitOf(c), output(c));
    List<String> parents = List.of(seen("b-ppid"), seen("c-ppid"));
    assertTrue(
        parents.equals(List.of("1", "0")) || parents.equals(List.of("0", "1")),
        "one started the jail (its parent the jail's PID 1), the other joined it: " + parents);
    assertEquals(seen("b-ns"), seen("c-ns"), "one jail, one PID namespace");
    assertFalse(jails.get("j").isAlive(), "both sessions ended, and the jail with them");
  }

  @Test
  void aRunThatWaitedForAStartJoinsTheJailItStarted() throws Exception {
    CompletableFuture<Integer> first = firstSession(false, "sh", "-c", SESSION, "a", "b", "a");
    Process b = session("b", "a", "b");
    letEachLookOnce(b);
    buildGoesOn.countDown();
    assertEquals(0, exitOf(b), output(b));
    assertEquals(0, first.get(60, TimeUnit.SECONDS));
    assertEquals("1", seen("a-ppid"), "the first started the jail");
    assertEquals("0", seen("b-ppid"), "the second joined it");
    assertEquals(seen("a-ns"), seen("b-ns"));
  }

  @Test
  void aRunBlockedOnTheStateLockLongerThanItsWaitStillWaitsForTheStart() throws Exception {
    CompletableFuture<Integer> first = firstSession(false, "sh", "-c", SESSION, "a", "b", "a");
    Process b = session("b", "a", "b");
    // Blocked behind a slow holder of the lock for longer than a run waits for a start: the wait
    // begins when it first sees the jail starting, not when it asked.
    letEachLookOnce(Duration.ofSeconds(6), b);
    buildGoesOn.countDown();
    assertEquals(0, exitOf(b), output(b));
    assertEquals(0, first.get(60, TimeUnit.SECONDS));
    assertEquals("0", seen("b-ppid"), "it joined the jail the first session started");
    assertEquals(seen("a-ns"), seen("b-ns"));
  }

  @Test
  void anExecThatWaitedForAStartThatFailedSaysTheJailIsNotRunning() throws Exception {
    CompletableFuture<Integer> first = firstSession(true, "true");
    Process exec = robojail("b", "exec", "j", "--", "true");
    letEachLookOnce(exec);
    buildGoesOn.countDown();
    assertBuildFailed(first);
    assertEquals(125, exitOf(exec), output(exec));
    assertEquals(
        "robojail: jail j is not running; start it with: robojail enter j\n", output(exec));
    assertEquals(0, jails.get("j").sessions().size(), "no session left behind");
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      if (!latch.await(2, TimeUnit.MINUTES)) {
        throw new AssertionError("timed out");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
