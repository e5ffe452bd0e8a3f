package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.Await;
import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.ffm.Programs;
import dev.robojail.net.PortForward;
import dev.robojail.sandbox.Stdio;
import dev.robojail.testkit.TestRepo;
import dev.robojail.testkit.TestWorld;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sessions of a running jail, for real: {@code exec} and a second {@code run} join the jail that
 * runs, the state counts them, a record that names any other process is never joined, and {@code
 * forward} opens a port of the jail on the host's loopback.
 */
@NeedsUserNamespaces
class JailSessionsTest {
  @TempDir Path tmp;

  private TestWorld world;
  private Jails jails;
  private Path worktree;
  private CompletableFuture<Integer> first;
  private Process outsider;
  // Where a command that ran outside any jail would leave its mark: named for this run alone, so
  // that nothing else on the machine can make or clear it.
  private final Path hostMark = Path.of("/tmp", "robojail-pwned-" + java.util.UUID.randomUUID());

  @BeforeEach
  void create() {
    world = TestWorld.in(tmp);
    TestRepo repo = world.repo("repo");
    jails = world.jails();
    worktree = jails.create("j", repo.dir).worktree();
  }

  @AfterEach
  void end() throws Exception {
    if (outsider != null) {
      outsider.destroyForcibly().waitFor();
    }
    if (first != null) {
      // Once failed with "its processes cannot be found": the planted-record tests restore the
      // record they read right after start, which, before it was renamed into place, could be
      // the empty file of a write in progress.
      jails.destroyJail("j", true);
      first.get(30, TimeUnit.SECONDS);
    }
  }

  /** The first session: a command that waits, so that the jail runs. */
  private void startJail(String command) {
    first =
        CompletableFuture.supplyAsync(
            () ->
                jails.run(
                    "j",
                    List.of("sh", "-c", command),
                    false,
                    b -> b.stdin(Stdio.discard()).stdout(Stdio.discard())));
    Path record = new JailLayout(world.dirs()).initRecord(JailName.of("j"));
    Await.until("the jail's PID 1 recorded", () -> Files.exists(record));
    Await.until("the jail's mark", () -> Files.exists(worktree.resolve("running")));
    try {
      // The record is renamed into place whole: it is never seen empty or half-written.
      String[] fields = Files.readString(record).strip().split(" ");
      assertEquals(3, fields.length, String.join(" ", fields));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private int exec(String script) {
    return jails.exec("j", List.of("sh", "-c", script), null);
  }

  @Test
  void execJoinsTheRunningJailAndEachSessionIsCounted() throws Exception {
    startJail("echo $$ > /tmp/first; touch running; exec sleep 600");
    assertEquals(1, jails.get("j").liveSessions().size());
    CompletableFuture<Integer> second =
        CompletableFuture.supplyAsync(
            () ->
                exec(
                    "cat /proc/2/comm /tmp/first > seen; hostname >> seen;"
                        + " until test -e go; do sleep 0.05; done"));
    Await.until("two sessions", () -> jails.get("j").liveSessions().size() == 2);
    Files.writeString(worktree.resolve("go"), "");
    assertEquals(0, second.get(60, TimeUnit.SECONDS));
    assertEquals(1, jails.get("j").liveSessions().size(), "the exec'd session is gone");
    List<String> seen = Files.readAllLines(worktree.resolve("seen"));
    assertEquals("sleep", seen.get(0), "the jail's command, seen by its pid inside: " + seen);
    assertEquals("2", seen.get(1));
  }

  /**
   * The process that joins is the host's (a JVM with its own descriptors, environment and working
   * directory); none of it reaches the joined command: it has the descriptors, environment and
   * working directory the first session's command has, and its parent is out of the jail's sight.
   */
  @Test
  void aJoinedSessionInheritsNothingOfTheHostSideThatJoinedIt() throws Exception {
    String probe =
        "ls /proc/self/fd | tr '\\n' ' ' > %1$s-fd; tr '\\0' '\\n' < /proc/self/environ | sort"
            + " > %1$s-env; readlink /proc/self/cwd > %1$s-cwd;"
            + " echo $PPID > %1$s-ppid;";
    startJail(probe.formatted("/tmp/first") + " touch running; exec sleep 600");
    try (var _ = Files.newInputStream(worktree.resolve("running"))) {
      // a descriptor the JVM holds while it joins
      assertEquals(0, exec(probe.formatted("joined") + " cp /tmp/first-* ."));
    }
    for (String what : List.of("fd", "env")) {
      assertEquals(
          Files.readString(worktree.resolve("first-" + what)),
          Files.readString(worktree.resolve("joined-" + what)),
          what);
    }
    assertEquals(worktree + "\n", Files.readString(worktree.resolve("joined-cwd")));
    assertEquals("0\n", Files.readString(worktree.resolve("joined-ppid")), "a parent outside");
    assertTrue(
        Files.readString(worktree.resolve("joined-fd")).matches("0 1 2 3 "),
        Files.readString(worktree.resolve("joined-fd")));
  }

  @Test
  void aSecondRunJoinsTheRunningJailInsteadOfFailing() throws Exception {
    startJail("echo from-the-first > /tmp/shared; touch running; exec sleep 600");
    int status =
        jails.run(
            "j",
            List.of("sh", "-c", "cat /tmp/shared > joined; exit 7"),
            false,
            b -> b.stdin(Stdio.discard()));
    assertEquals(7, status, "the joined command's own status");
    assertEquals("from-the-first\n", Files.readString(worktree.resolve("joined")));
    assertTrue(jails.get("j").isAlive(), "the jail runs on after the joined session");
  }

  @Test
  void execIntoAJailThatIsNotRunningIsRefusedWithWhatToDo() {
    JailConflictException e = assertThrows(JailConflictException.class, () -> exec("true"));
    assertEquals("jail j is not running; start it with: robojail enter j", e.getMessage());
    assertEquals(0, jails.get("j").sessions().size(), "a refused exec leaves no session behind");
  }

  private Path sessions() {
    return world.dirs().stateFile().resolveSibling("sessions").resolve("j");
  }

  private void plantSession(String fileName, Supervisor s) throws IOException {
    Files.createDirectories(sessions());
    Files.writeString(
        sessions().resolve(fileName), s.pid() + " " + s.startTime() + " " + s.bootId() + "\n");
  }

  /**
   * Records of sessions that have ended without cleaning up: a JVM killed with -9 (its pid now
   * another process's, so the start time differs), one of an earlier boot, and garbage: none
   * counts, none keeps the jail from starting, and the next session sweeps them.
   */
  @Test
  void sessionsLeftByACrashOrAnotherBootOrGarbageNeverBlockOrCount() throws Exception {
    Supervisor me = Supervisor.current();
    plantSession("1-1-1", new Supervisor(me.pid(), me.startTime() + 1, me.bootId()));
    plantSession("2-2-2", new Supervisor(me.pid(), me.startTime(), "0f0e0d0c-not-this-boot"));
    Files.writeString(sessions().resolve("3-3-3"), "garbage\n");
    Files.writeString(sessions().resolve("4-4-4"), "");
    Files.createSymbolicLink(sessions().resolve("5-5-5"), Path.of("/proc/self/stat"));
    assertEquals(
        0, new ProcessBuilder("mkfifo", sessions().resolve("6-6-6").toString()).start().waitFor());
    assertEquals(0, jails.get("j").liveSessions().size());
    assertEquals("stopped", jails.list().getFirst().isAlive() ? "running" : "stopped");
    // not "running": a run starts the jail rather than trying to join a dead one
    assertEquals(
        0,
        jails.run(
            "j", List.of("sh", "-c", "echo $PPID > ppid"), false, b -> b.stdin(Stdio.discard())));
    // its parent is the jail's PID 1: it started the jail (a joined session's parent is outside)
    assertEquals("1\n", Files.readString(worktree.resolve("ppid")));
    assertEquals(List.of(), jails.get("j").sessions(), "the dead records were dropped");
    try (var left = Files.list(sessions())) {
      assertEquals(List.of(), left.toList(), "swept, its own record removed at its end");
    }
  }

  /**
   * A record planted to name a live process of this user that is no session (the user's shell, say)
   * makes the jail look running: destroy without --force refuses, as it would for a session, and a
   * run that joins finds no PID 1 of that jail to join and refuses, running nothing.
   */
  @Test
  void aPlantedSessionOfALiveProcessJoinsNothing() throws Exception {
    outsider = new ProcessBuilder("sleep", "600").start();
    Supervisor other = Supervisor.of(outsider.pid()).orElseThrow();
    plantSession(other.pid() + "-" + other.startTime() + "-1", other);
    assertEquals(1, jails.get("j").liveSessions().size());
    assertThrows(JailConflictException.class, () -> jails.destroyJail("j", false));
    JailConflictException e =
        assertThrows(JailConflictException.class, () -> exec("touch pwned; touch " + hostMark));
    assertTrue(e.getMessage().contains("starting or ending"), e.getMessage());
    assertTrue(!Files.exists(worktree.resolve("pwned")) && !Files.exists(hostMark));
    assertTrue(outsider.isAlive(), "nothing signalled the process the record names");
    outsider.destroyForcibly().waitFor();
    Await.until("the planted session ended", () -> jails.get("j").liveSessions().isEmpty());
  }

  /**
   * A run that waits for another session's start drops the walk of {@code /etc} made ahead: once
   * admitted, its spec walks {@code /etc} itself rather than take one older than the wait.
   */
  @Test
  void aRunThatWaitsForAnotherStartDropsTheWalkAhead() throws Exception {
    outsider = new ProcessBuilder("sleep", "600").start();
    Supervisor other = Supervisor.of(outsider.pid()).orElseThrow();
    plantSession(other.pid() + "-" + other.startTime() + "-1", other);
    Jails.prepareSandboxAhead(false);
    Object ahead = pendingAhead();
    assertEquals(false, aheadDropped(ahead), "dropped before the wait");
    JailConflictException e =
        assertThrows(
            JailConflictException.class,
            () -> jails.run("j", List.of("true"), false, b -> b.stdin(Stdio.discard())));
    assertTrue(e.getMessage().contains("starting or ending"), e.getMessage());
    assertEquals(true, aheadDropped(ahead), "the walk ahead outlived the wait");
    var placing = Class.forName("dev.robojail.sandbox.HostAhead").getDeclaredField("placing");
    placing.setAccessible(true);
    assertEquals(null, placing.get(null), "the cgroup's place found ahead outlived the wait");
  }

  // HostAhead's work in progress, seen from outside its package: the test alone looks there.
  private static Object pendingAhead() throws ReflectiveOperationException {
    var f = Class.forName("dev.robojail.sandbox.HostAhead").getDeclaredField("pending");
    f.setAccessible(true);
    Object w = f.get(null);
    assertTrue(w != null, "nothing started ahead");
    return w;
  }

  private static boolean aheadDropped(Object work) throws ReflectiveOperationException {
    var f = work.getClass().getDeclaredField("dropped");
    f.setAccessible(true);
    return f.getBoolean(work);
  }

  /**
   * Two runs started at once decide under the state lock: exactly one starts the jail, the other
   * joins it (both see one PID namespace), and neither fails.
   */
  @Test
  void twoRunsAtOnceStartOneJailAndJoinIt() throws Exception {
    // The joined command's parent is outside the jail (0): it leaves first, and the jail's own
    // command waits until it is gone, so that ending the jail kills neither.
    String script =
        "readlink /proc/self/ns/pid > ns-%1$s; if [ $PPID = 0 ]; then echo joined > role-%1$s;"
            + " echo $$ > joined.tmp; mv joined.tmp joined; else echo started > role-%1$s;"
            + " until test -e joined; do sleep 0.05; done;"
            + " while kill -0 $(cat joined) 2>/dev/null; do sleep 0.05; done; fi";
    List<CompletableFuture<Integer>> runs = new java.util.ArrayList<>();
    for (String who : List.of("a", "b")) {
      runs.add(
          CompletableFuture.supplyAsync(
              () ->
                  jails.run(
                      "j",
                      List.of("sh", "-c", script.formatted(who)),
                      false,
                      b -> b.stdin(Stdio.discard()).stdout(Stdio.discard()))));
    }
    for (CompletableFuture<Integer> run : runs) {
      assertEquals(0, run.get(60, TimeUnit.SECONDS));
    }
    assertEquals(
        Files.readString(worktree.resolve("ns-a")), Files.readString(worktree.resolve("ns-b")));
    assertEquals(
        java.util.Set.of("joined\n", "started\n"),
        java.util.Set.of(
            Files.readString(worktree.resolve("role-a")),
            Files.readString(worktree.resolve("role-b"))));
    assertEquals(List.of(), jails.get("j").sessions());
  }

  /** A destroy without --force refuses a jail while a session runs in it, and counts it. */
  @Test
  void destroyWithoutForceRefusesAJailWithALiveSession() {
    startJail("touch running; exec sleep 600");
    JailConflictException e =
        assertThrows(JailConflictException.class, () -> jails.destroyJail("j", false));
    assertTrue(e.getMessage().contains("is running"), e.getMessage());
    assertEquals(1, jails.get("j").liveSessions().size());
  }

  /**
   * The attack on the pid in the state: the record of the jail's PID 1 is made to name another
   * process — one of this user's outside any jail (a reused pid), or the host's init. exec refuses
   * to join it, and nothing of the command runs anywhere.
   */
  @Test
  void aRecordNamingAProcessThatIsNoJailOfThisUserIsNeverJoined() throws Exception {
    startJail("touch running; exec sleep 600");
    Path record = new JailLayout(world.dirs()).initRecord(JailName.of("j"));
    String real = Files.readString(record);
    outsider = new ProcessBuilder("sleep", "600").start();
    try {
      for (long pid : new long[] {outsider.pid(), 1}) {
        Supervisor other = Supervisor.of(pid).orElseThrow();
        Files.writeString(
            record, other.pid() + " " + other.startTime() + " " + other.bootId() + "\n");
        JailConflictException e =
            assertThrows(JailConflictException.class, () -> exec("touch pwned; touch " + hostMark));
        assertTrue(e.getMessage().contains("is not a jail of this user"), e.getMessage());
        // and destroy --force kills nothing it names
        assertThrows(JailConflictException.class, () -> jails.destroyJail("j", true));
      }
    } finally {
      Files.writeString(record, real);
    }
    assertTrue(outsider.isAlive());
    assertTrue(!Files.exists(worktree.resolve("pwned")) && !Files.exists(hostMark));
  }

  @Test
  void aRecordOfAnEndedPid1IsNotJoinedEvenIfThePidIsReused() throws Exception {
    startJail("touch running; exec sleep 600");
    Path record = new JailLayout(world.dirs()).initRecord(JailName.of("j"));
    String real = Files.readString(record);
    String[] f = real.strip().split(" ");
    // the same pid, started at another time: the process the record meant is gone
    Files.writeString(record, f[0] + " " + (Long.parseLong(f[1]) + 1) + " " + f[2] + "\n");
    try {
      JailConflictException e =
          assertThrows(JailConflictException.class, () -> exec("touch pwned"));
      assertTrue(e.getMessage().contains("is starting or ending"), e.getMessage());
    } finally {
      Files.writeString(record, real);
    }
    assertTrue(!Files.exists(worktree.resolve("pwned")));
  }

  /** As root, a jail of another user (nobody's user namespace) is refused before the kernel. */
  @Test
  void aRecordNamingAnotherUsersJailIsNeverJoined() throws Exception {
    Assumptions.assumeTrue(
        dev.robojail.ffm.Kernel.linux().getuid() == 0, "only root can start another user's jail");
    Programs.require("/usr/bin/setpriv", "setpriv(1), util-linux");
    startJail("touch running; exec sleep 600");
    outsider =
        new ProcessBuilder(
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "unshare",
                "--user",
                "--map-root-user",
                "sleep",
                "600")
            .start();
    Await.until(
        "nobody's user namespace",
        () -> {
          try {
            return !Files.readSymbolicLink(Path.of("/proc", outsider.pid() + "", "ns/user"))
                .equals(Files.readSymbolicLink(Path.of("/proc/self/ns/user")));
          } catch (IOException e) {
            return false;
          }
        });
    Path record = new JailLayout(world.dirs()).initRecord(JailName.of("j"));
    Supervisor other = Supervisor.of(outsider.pid()).orElseThrow();
    String real = Files.readString(record);
    Files.writeString(record, other.pid() + " " + other.startTime() + " " + other.bootId() + "\n");
    try {
      JailConflictException e =
          assertThrows(JailConflictException.class, () -> exec("touch " + hostMark));
      assertTrue(e.getMessage().contains("is not a jail of this user"), e.getMessage());
    } finally {
      Files.writeString(record, real);
    }
    assertTrue(!Files.exists(hostMark));
  }

  /**
   * forward with real sockets: an HTTP server in the jail's own network, a client on the host's
   * 127.0.0.1, and nothing on any other address; it stops when the jail ends.
   */
  @Test
  void forwardReachesAServerInTheJailFromTheHostsLoopbackOnly() throws Exception {
    Programs.require("/usr/bin/python3", "python3");
    startJail("touch running; exec python3 -m http.server 8765 --bind 127.0.0.1");
    // The client is closed too: its connections and selector would outlive the test.
    try (PortForward forward = jails.forward("j", 0, 8765);
        HttpClient client = HttpClient.newHttpClient()) {
      URI uri = URI.create("http://127.0.0.1:" + forward.hostPort() + "/README");
      HttpResponse<String> answer =
          Await.value(
              "the jail's server answering",
              () -> {
                try {
                  return java.util.Optional.of(
                      client.send(
                          HttpRequest.newBuilder(uri).build(),
                          HttpResponse.BodyHandlers.ofString()));
                } catch (IOException e) {
                  return java.util.Optional.empty(); // the server is not listening yet
                } catch (InterruptedException e) {
                  throw new IllegalStateException(e);
                }
              });
      assertEquals(200, answer.statusCode());
      assertEquals("hello\n", answer.body());
      // bound to 127.0.0.1 alone: another loopback address of the host finds nothing
      assertThrows(
          ConnectException.class,
          () -> {
            try (Socket s = new Socket()) {
              s.connect(new InetSocketAddress("127.0.0.2", forward.hostPort()), 5000);
            }
          });
      jails.destroyJail("j", true);
      first.get(30, TimeUnit.SECONDS);
      first = null;
      assertTrue(forward.awaitEnd(30, TimeUnit.SECONDS), "the forward outlived the jail");
    }
  }

  /**
   * 127.0.0.1 is every local user's: another user's client (uid 65534 here, while robojail runs as
   * root) connects to the forward and gets nothing of the jail's server, while the owner's own
   * client, before and after, gets the page.
   */
  @Test
  void anotherLocalUserCannotUseTheForward() throws Exception {
    Assumptions.assumeTrue(
        dev.robojail.ffm.Syscalls.getuid() == 0, "needs root, to run a client as another user");
    Programs.require("/usr/bin/python3", "python3");
    Programs.require("/usr/bin/setpriv", "util-linux");
    Programs.require("/usr/bin/curl", "curl");
    startJail("touch running; exec python3 -m http.server 8765 --bind 127.0.0.1");
    try (PortForward forward = jails.forward("j", 0, 8765)) {
      List<String> notes = new java.util.concurrent.CopyOnWriteArrayList<>();
      forward.onNote(notes::add);
      String url = "http://127.0.0.1:" + forward.hostPort() + "/README";
      Await.until("the owner's client gets the page", () -> curl(url, false).equals("hello\n"));
      assertEquals("", curl(url, true), "uid 65534 got an answer from the jail");
      // Earlier notes are of the owner's tries while the server was starting.
      Await.until("a note", () -> notes.stream().anyMatch(n -> n.contains("from uid 65534")));
      assertEquals("hello\n", curl(url, false), "the owner still gets it");
    }
  }

  // curl's body, or "" when it got none (refused, closed without an answer)
  private static String curl(String url, boolean asNobody) {
    List<String> argv = new java.util.ArrayList<>();
    if (asNobody) {
      argv.addAll(List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
    }
    argv.addAll(List.of("/usr/bin/curl", "-s", "--max-time", "10", url));
    try {
      Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
      String out =
          new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      return p.waitFor() == 0 ? out : "";
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Test
  void forwardToAPortNobodyListensOnClosesTheConnectionAndSaysWhy() throws Exception {
    startJail("touch running; exec sleep 600");
    try (PortForward forward = jails.forward("j", 0, 9)) {
      List<String> notes = new java.util.concurrent.CopyOnWriteArrayList<>();
      forward.onNote(notes::add);
      try (Socket s = new Socket("127.0.0.1", forward.hostPort())) {
        assertEquals(-1, s.getInputStream().read(), "closed at once");
      }
      Await.until("a note", () -> !notes.isEmpty());
      assertTrue(notes.getFirst().contains("ECONNREFUSED"), notes.toString());
    }
  }

  @Test
  void forwardIntoAJailThatIsNotRunningIsRefused() {
    JailConflictException e =
        assertThrows(JailConflictException.class, () -> jails.forward("j", 0, 1455));
    assertTrue(e.getMessage().contains("is not running"), e.getMessage());
  }
}
