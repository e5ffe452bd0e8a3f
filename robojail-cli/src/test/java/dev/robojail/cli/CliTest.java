package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.robojail.ffm.Await;
import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.jail.Dirs;
import dev.robojail.testkit.TestRepo;
import dev.robojail.testkit.TestWorld;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line end to end, in process, with real git repositories. */
class CliTest {
  @TempDir Path tmp;
  TestWorld world;
  Path home;
  Path repo;
  Dirs dirs;

  @BeforeEach
  void setUp() {
    world = TestWorld.in(tmp);
    home = world.home();
    dirs = world.dirs();
    repo = world.repo("repo").dir;
  }

  Result robojail(String... args) {
    return InProcess.run(world, args);
  }

  static void assertOneLineError(Result r) {
    assertTrue(r.err().startsWith("robojail: "), r.err());
    assertEquals(1, r.err().lines().count(), r.err());
  }

  @Test
  void invalidNameIsInvalidInput() {
    Result r = robojail("create", "--name", "../x", "--repo", repo.toString());
    assertEquals(2, r.code());
    assertOneLineError(r);
  }

  @Test
  void anOptionLikeBranchIsInvalidInputAndNeverReachesGit() throws Exception {
    for (String[] branch :
        List.of(
            new String[] {"--branch=-x"},
            new String[] {"--branch", "-delete"},
            new String[] {"--branch=--upload-pack=touch /tmp/x"})) {
      List<String> args =
          new ArrayList<>(List.of("create", "--name", "o", "--repo", repo.toString()));
      args.addAll(List.of(branch));
      Result r = robojail(args.toArray(String[]::new));
      assertEquals(2, r.code(), String.join(" ", branch) + ": " + r.err());
      assertOneLineError(r);
      assertTrue(r.err().contains("invalid branch or commit: -"), r.err());
    }
    assertEquals("[]", robojail("list", "--json").out().strip());
    assertFalse(TestRepo.run(repo, "branch", "--list", "robojail/*").contains("robojail/"));
  }

  @Test
  void usageErrorIsInvalidInputInOneLine() {
    Result r = robojail("create", "--repo", repo.toString());
    assertEquals(2, r.code());
    assertOneLineError(r);
  }

  @Test
  void unknownJailIsUnexpectedState() {
    for (String[] args :
        List.of(
            new String[] {"status", "nope"},
            new String[] {"destroy", "nope"},
            new String[] {"run", "nope", "--", "true"})) {
      Result r = robojail(args);
      assertEquals(3, r.code(), String.join(" ", args));
      assertOneLineError(r);
      assertTrue(r.err().contains("no jail named nope"), r.err());
    }
  }

  @Test
  void notARepositoryGivesTheHint() throws IOException {
    Path plain = Files.createDirectories(tmp.resolve("plain"));
    Result r = robojail("create", "--name", "x", "--repo", plain.toString());
    assertEquals(1, r.code());
    assertOneLineError(r);
    assertTrue(r.err().contains("git init && git add . && git commit -m initial"), r.err());
  }

  @Test
  void duplicateNameIsUnexpectedState() {
    assertEquals(0, robojail("create", "--name", "dup", "--repo", repo.toString()).code());
    Result r = robojail("create", "--name", "dup", "--repo", repo.toString());
    assertEquals(3, r.code());
    assertTrue(r.err().contains("jail dup exists"), r.err());
  }

  @Test
  void missingEntrypointIsRefused() {
    Result r =
        robojail(
            "create", "--name", "e", "--repo", repo.toString(), "--entrypoint", "no-such-cmd-xyz");
    assertEquals(1, r.code());
    assertTrue(r.err().contains("entrypoint not found: no-such-cmd-xyz"), r.err());
    assertTrue(robojail("list", "--json").out().strip().equals("[]"));
  }

  @Test
  void failedCreateLeavesNothingBehind() throws Exception {
    Path squatter = Files.createDirectories(dirs.jailsDir().resolve("taken"));
    Files.writeString(squatter.resolve("mine"), "not robojail's");
    Result r = robojail("create", "--name", "taken", "--repo", repo.toString());
    assertEquals(1, r.code(), r.err());
    assertEquals("[]", robojail("list", "--json").out().strip());
    assertFalse(TestRepo.run(repo, "branch", "--list", "robojail/*").contains("robojail/"));
    assertTrue(Files.exists(squatter.resolve("mine")));
  }

  @Test
  void destroyRefusesUncommittedWorkUnlessForced() throws Exception {
    assertEquals(0, robojail("create", "--name", "d", "--repo", repo.toString()).code());
    Path worktree = dirs.jailDir(dev.robojail.jail.JailName.of("d"));
    Files.writeString(worktree.resolve("new.txt"), "x\n");

    Result status = robojail("status", "d", "--json");
    assertEquals(0, status.code(), status.err());
    assertTrue(status.out().contains("\"added\":1"), status.out());

    Result refused = robojail("destroy", "d");
    assertEquals(3, refused.code());
    assertTrue(refused.err().contains("uncommitted changes; use --force"), refused.err());

    assertEquals(0, robojail("destroy", "d", "--force").code());
    assertFalse(Files.exists(worktree));
    assertEquals("[]", robojail("list", "--json").out().strip());
    assertFalse(TestRepo.run(repo, "branch", "--list", "robojail/*").contains("robojail/"));
  }

  @Test
  void destroyKeepsABranchWithCommits() throws Exception {
    assertEquals(0, robojail("create", "--name", "c", "--repo", repo.toString()).code());
    Path worktree = dirs.jailDir(dev.robojail.jail.JailName.of("c"));
    Files.writeString(worktree.resolve("work.txt"), "x\n");
    TestRepo.run(worktree, "add", ".");
    TestRepo.run(
        worktree, "-c", "user.name=T", "-c", "user.email=t@t", "commit", "-q", "-m", "work");

    Result r = robojail("destroy", "c");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("kept branch robojail/c-"), r.out());
    assertTrue(r.out().contains("with 1 commit;"), r.out());
    assertTrue(TestRepo.run(repo, "branch", "--list", "robojail/*").contains("robojail/c-"));
  }

  @Test
  void aBindOfAHiddenPathIsRefused() throws Exception {
    Files.createDirectories(home.resolve(".ssh"));
    assertEquals(0, robojail("create", "--name", "h", "--repo", repo.toString()).code());
    world.config("extra_ro_binds = [\"~/.ssh\"]\n");
    Result r = robojail("run", "h", "--", "true");
    assertEquals(1, r.code());
    assertOneLineError(r);
    assertTrue(r.err().contains("would expose the hidden path"), r.err());
  }

  /** Everything that starts a jail. */
  @Test
  void concurrentCreatesLoseNothingAndOneNameWinsOnce() throws Exception {
    int n = 6;
    var pool = java.util.concurrent.Executors.newFixedThreadPool(n);
    try {
      List<java.util.concurrent.Future<Result>> distinct = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String name = "c" + i;
        distinct.add(
            pool.submit(() -> robojail("create", "--name", name, "--repo", repo.toString())));
      }
      for (var f : distinct) {
        assertEquals(0, f.get().code(), f.get().err());
      }
      List<java.util.concurrent.Future<Result>> same = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        same.add(
            pool.submit(() -> robojail("create", "--name", "same", "--repo", repo.toString())));
      }
      int won = 0;
      for (var f : same) {
        Result r = f.get();
        if (r.code() == 0) {
          won++;
        } else {
          assertEquals(3, r.code(), r.err());
          assertOneLineError(r);
        }
      }
      assertEquals(1, won);
    } finally {
      pool.shutdownNow();
    }
    String list = robojail("list").out();
    for (String name : List.of("c0", "c1", "c2", "c3", "c4", "c5", "same")) {
      assertTrue(list.lines().anyMatch(l -> l.startsWith(name + " ")), list);
    }
    String branches = TestRepo.run(repo, "branch", "--list", "robojail/*");
    assertEquals(n + 1, branches.lines().count(), branches);
  }

  @Nested
  @NeedsUserNamespaces
  class InJail {
    @BeforeEach
    void createTheJail() {
      assertEquals(0, robojail("create", "--name", "j", "--repo", repo.toString()).code());
    }

    int sh(String script) {
      Result r = robojail("run", "j", "--", "sh", "-c", script);
      assertEquals("", r.err());
      return r.code();
    }

    @Test
    void lifecycle() throws Exception {
      Result list = robojail("list");
      assertEquals(0, list.code());
      assertTrue(list.out().contains("j "), list.out());

      assertEquals(3, sh("echo hi > new.txt; exit 3"));
      Path worktree = dirs.jailDir(dev.robojail.jail.JailName.of("j"));
      assertEquals("hi\n", Files.readString(worktree.resolve("new.txt")));

      Result status = robojail("status", "j");
      assertEquals(0, status.code(), status.err());
      assertTrue(status.out().contains("1 added"), status.out());
      assertTrue(status.out().contains("A new.txt"), status.out());

      assertEquals(3, robojail("destroy", "j").code());
      assertEquals(0, robojail("destroy", "j", "--force").code());
      assertFalse(Files.exists(worktree));
    }

    @Test
    void theWorktreeIsTheWorkingDirectory() {
      Path worktree = dirs.jailDir(dev.robojail.jail.JailName.of("j"));
      assertEquals(0, sh("test \"$(pwd)\" = '" + worktree + "' && test -f README"));
    }

    @Test
    void robojailVariableNamesTheJail() {
      assertEquals(0, sh("test \"$ROBOJAIL\" = j && test \"$HOME\" = '" + home + "'"));
    }

    @Test
    void theSystemIsReadOnly() {
      assertEquals(0, sh("! touch /usr/robojail-probe 2>/dev/null"));
    }

    @Test
    void theHomeDirectoryIsEmpty() throws IOException {
      Path key = Files.createDirectories(home.resolve(".ssh")).resolve("id_test");
      Files.writeString(key, "secret");
      assertEquals(0, sh("test ! -e '" + key + "' && test ! -e '" + home.resolve(".ssh") + "'"));
    }

    @Test
    void hiddenPathsInsideABindAreMasked() throws IOException {
      Path config = Files.createDirectories(home.resolve(".config"));
      Files.writeString(config.resolve("visible"), "ok");
      Path creds = Files.createDirectories(config.resolve("gcloud")).resolve("creds");
      Files.writeString(creds, "secret");
      world.config("extra_ro_binds = [\"~/.config\"]\n");
      assertEquals(
          0, sh("test -f '" + config.resolve("visible") + "' && test ! -e '" + creds + "'"));
    }

    @Test
    void theHostTmpIsInvisible() throws IOException {
      Path marker = Path.of("/tmp", "robojail-marker-" + UUID.randomUUID());
      Files.writeString(marker, "host");
      try {
        assertEquals(0, sh("test ! -e '" + marker + "'"));
      } finally {
        Files.deleteIfExists(marker);
      }
    }

    @Test
    void hostProcessesAreInvisible() {
      assertEquals(0, sh("test $(ls /proc | grep -c '^[0-9]') -lt 10"));
    }

    @Test
    void theDefaultProxyReachesTheRealNpmRegistryAndStatusCountsRefusals() throws IOException {
      assumeTrue(Files.isExecutable(Path.of("/usr/bin/npm")), "needs /usr/bin/npm");
      Path worktree = dirs.jailDir(dev.robojail.jail.JailName.of("j"));
      // Not the inherited stdin (surefire's command pipe here): node makes it non-blocking, and
      // the test JVM's reader dies with "std/in stream corrupted".
      assertEquals(
          0,
          sh("npm view left-pad version < /dev/null > npm.txt 2> npm.err"),
          () -> read(worktree));
      assertEquals("1.3.0\n", Files.readString(worktree.resolve("npm.txt")));
      assertEquals(
          0, sh("curl -s -o /dev/null -w '%{http_code}' http://example.com/ > curl.txt; true"));
      assertEquals("403", Files.readString(worktree.resolve("curl.txt")));
      Result status = robojail("status", "j");
      assertTrue(status.out().contains("refused by the network allowlist:"), status.out());
      assertTrue(status.out().contains("  example.com:80  (1x)"), status.out());
    }

    private static String read(Path worktree) {
      try {
        return Files.readString(worktree.resolve("npm.err"));
      } catch (IOException e) {
        return e.toString();
      }
    }

    @Test
    void networkOffReallyIsOff() throws IOException {
      world.config("network_enabled = false\n");
      assertEquals(0, sh("test \"$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ')\" = lo"));
      // only its own loopback, and that works: a server and a client inside talk over TCP
      assertEquals(
          0,
          sh(
              "test ! -x /usr/bin/python3 || /usr/bin/python3 -c 'import socket;"
                  + " s = socket.create_server((\"127.0.0.1\", 0));"
                  + " c = socket.create_connection(s.getsockname()); a, _ = s.accept();"
                  + " c.sendall(b\"x\"); assert a.recv(1) == b\"x\"'"));
    }

    @Test
    void setupCreatesNothingInTheWorktree() throws Exception {
      Path worktree = dirs.jailDir(dev.robojail.jail.JailName.of("j"));
      String before = TestRepo.run(worktree, "status", "--porcelain", "--ignored");
      List<Path> files;
      assertEquals(0, sh("true"));
      try (var walk = Files.walk(worktree)) {
        files = walk.filter(p -> !p.toString().contains("/.git")).sorted().toList();
      }
      assertEquals(before, TestRepo.run(worktree, "status", "--porcelain", "--ignored"));
      assertEquals(List.of(worktree, worktree.resolve("README")), files);
    }

    @Test
    void statusPutsFilesThatRunOnTheHostFirst() {
      assertEquals(
          0,
          sh(
              "mkdir -p .github/workflows && echo x > .github/workflows/ci.yml"
                  + " && echo 'all:' > Makefile && echo note > notes.txt"));
      Result status = robojail("status", "j");
      String out = status.out();
      assertTrue(out.contains("REVIEW FIRST"), out);
      assertTrue(out.contains("! .github/workflows/ci.yml  (CI workflow)"), out);
      assertTrue(out.contains("! Makefile  (build file)"), out);
      assertFalse(out.contains("! notes.txt"), out);
      assertTrue(out.indexOf("REVIEW FIRST") < out.indexOf("A notes.txt"), out);
      assertTrue(robojail("status", "j", "--json").out().contains("\"reviewFirst\":[{"));
    }

    @Test
    void otherJailsAndTheHostsSysAreInvisible() {
      assertEquals(0, robojail("create", "--name", "k", "--repo", repo.toString()).code());
      Path other = dirs.jailDir(dev.robojail.jail.JailName.of("k"));
      assertTrue(Files.isDirectory(other));
      assertEquals(
          0,
          sh(
              "test ! -e '"
                  + other
                  + "' && test ! -e '"
                  + dirs.dataDir().resolve("gitdirs/k.git")
                  + "' && test ! -e /sys/kernel && test ! -e /sys/fs/cgroup"));
    }

    @Test
    void limitsComeFromTheConfig() throws IOException {
      world.config("max_open_files = 300\nmax_processes = 77\n");
      assertEquals(
          0,
          sh(
              "test $(ulimit -n) = 300 && test $(ulimit -c) = 0"
                  + " && grep -q 'Max processes *77 *77' /proc/self/limits"));
    }

    @Test
    void destroyForceEndsARunningJail() throws Exception {
      var running =
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> robojail("run", "j", "--", "sh", "-c", "sleep 100 & sleep 100"));
      Await.until(
          "the jail to be listed as running", () -> robojail("list").out().contains("running"));
      Result refused = robojail("destroy", "j");
      assertEquals(3, refused.code(), refused.err());
      assertTrue(refused.err().contains("--force"), refused.err());
      Result forced = robojail("destroy", "j", "--force");
      assertEquals(0, forced.code(), forced.err());
      assertEquals(137, running.get(30, java.util.concurrent.TimeUnit.SECONDS).code());
      assertFalse(Files.exists(dirs.jailDir(dev.robojail.jail.JailName.of("j"))));
    }

    @Test
    void aHardLinkToAHiddenFileIsRefused() throws IOException {
      Path key = Files.createDirectories(home.resolve(".ssh")).resolve("id_test");
      Files.writeString(key, "secret");
      Path shared = Files.createDirectories(home.resolve("shared"));
      Files.createLink(shared.resolve("innocent"), key);
      world.config("extra_ro_binds = [\"~/shared\"]\n");
      Result r = robojail("run", "j", "--", "cat", shared.resolve("innocent").toString());
      assertEquals(1, r.code(), r.out() + r.err());
      assertOneLineError(r);
      assertTrue(r.err().contains("hard links"), r.err());
      assertFalse(r.out().contains("secret"), r.out());
      Files.delete(shared.resolve("innocent"));
      assertEquals(0, sh("test -d '" + shared + "'"));
    }

    @Test
    void anUnreadableDirectoryInAHiddenPathRefusesTheRun() throws IOException {
      Path locked = Files.createDirectories(home.resolve(".ssh/locked"));
      Path key = Files.writeString(locked.resolve("id_test"), "secret");
      Path shared = Files.createDirectories(home.resolve("shared"));
      Files.createLink(shared.resolve("innocent"), key);
      world.config("extra_ro_binds = [\"~/shared\"]\n");
      Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
      try {
        assumeTrue(
            !Files.isReadable(locked),
            "root reads every directory; HiddenPathsTest injects the failure instead");
        Result r = robojail("run", "j", "--", "cat", shared.resolve("innocent").toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertOneLineError(r);
        assertTrue(
            r.err().contains("cannot check the hidden path " + home.resolve(".ssh").toRealPath()),
            r.err());
        assertTrue(r.err().contains(locked.toRealPath() + ": permission denied"), r.err());
        assertFalse(r.out().contains("secret"), r.out());
      } finally {
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwx------"));
      }
    }

    @Test
    void gitWorksReadOnly() {
      assertEquals(0, sh("git log --oneline | grep -q initial && git status --short"));
    }
  }
}
