package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.testkit.TestRepo;
import dev.robojail.testkit.TestWorld;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Crash consistency: robojail, a real process, is killed with SIGKILL and SIGTERM at points spread
 * over create, status, merge, destroy (and run, with a jail) on a repository of 3,000 files; after
 * each kill, {@code list} must tell the truth (a jail it calls stopped is whole), no commit or
 * uncommitted file is lost, nothing is left in the temporary directory, no git process of the
 * killed robojail outlives the next command, and that command recovers.
 *
 * <p>Kill points are fractions of the measured length of an uninterrupted command, drawn from a
 * fixed seed, so that a failure is repeatable and the test stays short (about a minute).
 */
class CliCrashTest {
  private static final int FILES = 3000;
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @TempDir Path tmp;
  Path repo;
  Path scratch;
  Path data;
  MainProcess robojail;
  Map<String, String> env;
  final Random random = new Random(11);

  @BeforeEach
  void setUp() throws Exception {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
    robojail = new MainProcess(TestWorld.in(tmp));
    scratch = Files.createDirectories(tmp.resolve("scratch"));
    env = Map.of("TMPDIR", scratch.toString());
    data = tmp.resolve("xdg/data/robojail");
    repo = Files.createDirectories(tmp.resolve("repo"));
    git(repo, "init", "-q", "-b", "main");
    for (int i = 0; i < FILES; i++) {
      Path f = repo.resolve("d" + (i % 40)).resolve("f" + i + ".txt");
      Files.createDirectories(f.getParent());
      Files.writeString(f, "file " + i + "\n".repeat(1 + i % 7));
    }
    git(repo, "add", ".");
    git(repo, "-c", "user.name=T", "-c", "user.email=t@t", "commit", "-q", "-m", "initial");
  }

  @Test
  void killedCreatesAreRolledBackAndNeverPassForWholeJails() throws Exception {
    long full = timed("create", "--name", "c", "--repo", repo.toString());
    assertEquals(0, robojail.run(env, "destroy", "c").code());
    for (boolean sigkill : new boolean[] {true, false}) {
      for (int i = 0; i < 4; i++) {
        Killed k = killAfter(fraction(full), sigkill, "create", "--name", "c", "--repo", "" + repo);
        JsonNode c = checkList().get("c");
        if (!sigkill && k.code() == 143) {
          // SIGTERM rolls back at once, and says so in one line (or nothing, before it began).
          assertTrue(c == null || c.get("state").asString().equals("stopped"), k.toString());
          assertTrue(k.err().lines().count() <= 1, k.err());
        }
        if (c != null && c.get("state").asString().equals("stopped")) {
          assertWhole(Path.of(c.get("worktree").asString()));
        }
        Result next = robojail.run(env, "create", "--name", "c", "--repo", "" + repo);
        assertTrue(next.code() == 0 || next.err().contains("jail c exists"), next.toString());
        assertWhole(data.resolve("jails/c"));
        assertNothingLeftBehind();
        assertEquals(0, robojail.run(env, "destroy", "c").code());
      }
    }
    assertEmpty(data.resolve("jails"));
    assertEmpty(data.resolve("gitdirs"));
    assertEquals("", git(repo, "branch", "--list", "robojail/*"));
  }

  @Test
  void killedStatusMergeAndDestroyLoseNoWork() throws Exception {
    assertEquals(0, robojail.run(env, "create", "--name", "w", "--repo", "" + repo).code());
    Path worktree = data.resolve("jails/w");
    commitInJail(worktree, "work in the jail");
    long status = timed("status", "w");
    for (boolean sigkill : new boolean[] {true, false}) {
      for (int i = 0; i < 2; i++) {
        killAfter(fraction(status), sigkill, "status", "w");
        checkList();
        Result next = robojail.run(env, "status", "w");
        assertEquals(0, next.code(), next.toString());
        assertTrue(next.out().contains("1 commits since base"), next.out());
        assertNothingLeftBehind();
      }
    }
    long merge = timed("merge", "w", "--yes");
    git(repo, "reset", "-q", "--hard", "HEAD~1");
    for (boolean sigkill : new boolean[] {true, false}) {
      killAfter(fraction(merge), sigkill, "merge", "w", "--yes");
      checkList();
      assertFalse(Files.exists(repo.resolve(".git/index.lock")), "merge left index.lock");
      Result next = robojail.run(env, "merge", "w", "--yes");
      assertEquals(0, next.code(), next.toString());
      assertEquals("work in the jail", git(repo, "log", "-1", "--format=%s").strip());
      git(repo, "reset", "-q", "--hard", "HEAD~1");
      assertNothingLeftBehind();
    }
    Files.writeString(worktree.resolve("uncommitted.txt"), "not committed\n");
    long destroy = timed("status", "w") * 2;
    for (boolean sigkill : new boolean[] {true, false}) {
      for (int i = 0; i < 3; i++) {
        killAfter(fraction(destroy), sigkill, "destroy", "w", "--force");
        JsonNode w = checkList().get("w");
        if (w == null || !w.get("state").asString().equals("stopped")) {
          // Gone, or half-way: the next command finishes or undoes it.
          robojail.run(env, "status", "w");
          w = checkList().get("w");
        }
        if (w == null) {
          break;
        }
        assertEquals("stopped", w.get("state").asString());
        assertTrue(Files.exists(worktree.resolve("uncommitted.txt")), "uncommitted work lost");
        assertNothingLeftBehind();
      }
      if (checkList().get("w") == null) {
        break;
      }
    }
    if (checkList().get("w") != null) {
      assertEquals(0, robojail.run(env, "destroy", "w", "--force").code());
    }
    assertNothingLeftBehind();
    assertEmpty(data.resolve("jails"));
    assertEquals(
        "work in the jail", git(repo, "log", "-1", "--format=%s", "--branches=robojail/*").strip());
  }

  @Test
  @Tag("namespace")
  void aKilledRunLeavesItsFilesAndAStoppedJail() throws Exception {
    assertEquals(0, robojail.run(env, "create", "--name", "r", "--repo", "" + repo).code());
    Path worktree = data.resolve("jails/r");
    for (boolean sigkill : new boolean[] {true, false}) {
      Path marker = worktree.resolve("written-" + sigkill);
      Path out = Files.createTempFile(tmp, "out", ".txt");
      Path err = Files.createTempFile(tmp, "err", ".txt");
      String script = "echo kept > " + marker.getFileName() + "; exec sleep 60";
      Process p = robojail.start(env, out, err, "run", "r", "--", "sh", "-c", script);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!Files.exists(marker) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertTrue(Files.exists(marker), Files.readString(err));
      assertEquals("running", checkList().get("r").get("state").asString());
      kill(p, sigkill);
      // The jail's PID 1 dies with its supervisor; the session record then is not live.
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!checkList().get("r").get("state").asString().equals("stopped")
          && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertEquals("stopped", checkList().get("r").get("state").asString());
      assertEquals("kept\n", Files.readString(marker));
      Result again = robojail.run(env, "run", "r", "--", "true");
      assertEquals(0, again.code(), again.toString());
      assertNothingLeftBehind();
    }
    Result refused = robojail.run(env, "destroy", "r");
    assertEquals(3, refused.code(), refused.toString());
    assertTrue(refused.err().contains("uncommitted"), refused.err());
  }

  record Killed(int code, String out, String err) {}

  private Killed killAfter(long millis, boolean sigkill, String... args) throws Exception {
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    Process p = robojail.start(env, out, err, args);
    if (!p.waitFor(millis, TimeUnit.MILLISECONDS)) {
      kill(p, sigkill);
    }
    return new Killed(
        p.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  private static void kill(Process p, boolean sigkill) throws InterruptedException {
    if (sigkill) {
      p.destroyForcibly();
    } else {
      p.destroy();
    }
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "robojail did not end on its signal");
  }

  private long timed(String... args) throws Exception {
    long start = System.nanoTime();
    Result r = robojail.run(env, args);
    assertEquals(0, r.code(), r.toString());
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
  }

  // Spread over the whole command, JVM start included: most kills land in the work itself.
  private long fraction(long millis) {
    return (long) (millis * (0.15 + 0.8 * random.nextDouble()));
  }

  /** {@code list --json} by name; it must work after any kill. */
  private Map<String, JsonNode> jails() throws Exception {
    Result r = robojail.run(env, "list", "--json");
    assertEquals(0, r.code(), r.toString());
    Map<String, JsonNode> byName = new java.util.TreeMap<>();
    for (JsonNode j : JSON.readTree(r.out()).get("jails")) {
      byName.put(j.get("name").asString(), j);
    }
    return byName;
  }

  private Map<String, JsonNode> checkList() throws Exception {
    Map<String, JsonNode> all = jails();
    for (JsonNode j : all.values()) {
      String state = j.get("state").asString();
      assertTrue(
          List.of("stopped", "running", "interrupted", "creating", "destroying").contains(state),
          state);
    }
    return all;
  }

  private void assertWhole(Path worktree) throws IOException {
    try (Stream<Path> files = Files.walk(worktree)) {
      long n = files.filter(Files::isRegularFile).count();
      // Every file of the commit, and the .git file.
      assertEquals(FILES + 1, n, "files in " + worktree);
    }
  }

  private void assertNothingLeftBehind() throws Exception {
    assertEmpty(scratch);
    Path own = data.resolve("tmp");
    if (Files.isDirectory(own)) {
      // Only a live robojail's scratch may be there, and none is running now.
      assertEmpty(own);
    }
    assertEquals(List.of(), gitProcessesIn(tmp));
  }

  private static List<String> gitProcessesIn(Path dir) throws IOException {
    List<String> found = new ArrayList<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path proc : procs.toList()) {
        try {
          String comm = Files.readString(proc.resolve("comm")).strip();
          Path cwd = Files.readSymbolicLink(proc.resolve("cwd"));
          if (comm.startsWith("git") && cwd.startsWith(dir)) {
            found.add(proc.getFileName() + " " + comm + " in " + cwd);
          }
        } catch (IOException e) {
          // gone, or another user's
        }
      }
    }
    return found;
  }

  private static void assertEmpty(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> entries = Files.list(dir)) {
      assertEquals(List.of(), entries.map(Path::toString).toList(), "left in " + dir);
    }
  }

  private static void commitInJail(Path worktree, String message) throws Exception {
    Files.writeString(worktree.resolve("jail-work.txt"), message + "\n");
    git(worktree, "add", "jail-work.txt");
    git(worktree, "-c", "user.name=J", "-c", "user.email=j@j", "commit", "-q", "-m", message);
  }

  static String git(Path dir, String... args) throws IOException, InterruptedException {
    return TestRepo.run(dir, args);
  }
}
