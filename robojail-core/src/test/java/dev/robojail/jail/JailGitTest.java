package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.sandbox.Stdio;
import dev.robojail.testkit.TestRepo;
import dev.robojail.testkit.TestWorld;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jail's private git directory: git works inside, and the user's repository is untouched. */
class JailGitTest {
  @TempDir Path tmp;
  Path home;
  Dirs dirs;
  TestRepo repo;
  Jails jails;
  JailState jail;
  Path wt;

  @BeforeEach
  void setUp() {
    TestWorld world = TestWorld.in(tmp);
    home = world.home();
    dirs = world.dirs();
    repo = TestRepo.init(tmp.resolve("repo"));
    repo.write("README", "hello\n").write("src/a.txt", "a\n").commit("initial");
    jails = world.jails();
    jail = jails.create("j", repo.dir);
    wt = jail.worktree();
  }

  @Test
  void destroyDeletesTheConnectionLogSoANewJailOfTheNameStartsWithoutRefusals() throws IOException {
    Path log = dirs.stateFile().resolveSibling("network").resolve("j.log");
    Files.createDirectories(log.getParent());
    String refused = "2026-12-01T00:00:00Z\trefused\tevil.example\t443\t0\t0\tnot allowed\n";
    Files.writeString(log, refused);
    Files.writeString(log.resolveSibling("j.log.1"), refused);
    assertEquals(Map.of("evil.example:443", 2), jails.refusedConnections("j"));
    jails.destroy("j", false);
    assertFalse(Files.exists(log) || Files.exists(log.resolveSibling("j.log.1")));
    jails.create("j", repo.dir);
    assertEquals(Map.of(), jails.refusedConnections("j"));
  }

  @Test
  void checkoutIndexIsHostOnlyAndCannotHideAChange() throws IOException {
    Path index = jails.checkoutIndex(jail.name());
    assertTrue(Files.isRegularFile(index), "create keeps the checkout index");
    assertFalse(index.startsWith(wt) || index.startsWith(jail.gitDir()), "out of the jail's reach");
    assertTrue(jails.status("j").isClean());

    // Same size, and the modification time put back: only the change time gives it away. The
    // index is dated later, as after a long checkout, so that git does not take the entry for
    // "racily clean" and compare contents anyway; and the change comes in a later second.
    Path a = wt.resolve("src/a.txt");
    var mtime = Files.getLastModifiedTime(a);
    Files.setLastModifiedTime(
        index, java.nio.file.attribute.FileTime.fromMillis(mtime.toMillis() + 5_000));
    long second =
        ((java.nio.file.attribute.FileTime) Files.getAttribute(a, "unix:ctime")).toMillis() / 1000;
    // The file system's clock is coarser than System.currentTimeMillis and may lag it by a tick:
    // wait until a file written now really gets a change time in a later second.
    Path probe = tmp.resolve("clock-probe");
    do {
      sleep();
      Files.writeString(probe, "");
    } while (((java.nio.file.attribute.FileTime) Files.getAttribute(probe, "unix:ctime")).toMillis()
            / 1000
        <= second);
    Files.writeString(a, "b\n");
    Files.setLastModifiedTime(a, mtime);
    // The jail's own index is no help either: git inside would believe the stat data.
    Files.write(jail.gitDir().resolve("index"), new byte[] {1, 2, 3});
    JailStatus status = jails.status("j");
    assertEquals(1, status.changes().size(), status.toString());
    assertEquals(FileChange.Kind.MODIFIED, status.changes().getFirst().kind());
    assertTrue(status.uncommittedChanges());

    // A replaced checkout index is only a slower status; a missing one too.
    Files.delete(index);
    assertEquals(status, jails.status("j"));
    jails.destroy("j", true);
    assertFalse(Files.exists(index));
  }

  private static void sleep() {
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Every file under the user's git directory, with its contents, as one hash. */
  static String fingerprint(Path gitDir) throws IOException {
    try (Stream<Path> walk = Files.walk(gitDir)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (Path p : walk.sorted().toList()) {
        md.update(gitDir.relativize(p).toString().getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0);
        if (Files.isSymbolicLink(p)) {
          md.update(Files.readSymbolicLink(p).toString().getBytes(StandardCharsets.UTF_8));
        } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          md.update(Files.readAllBytes(p));
        }
        md.update((byte) 0);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private void commitInJailFromHost(String file, String content) {
    repoWrite(wt.resolve(file), content);
    TestRepo.run(wt, "add", "-A");
    TestRepo.run(wt, "commit", "-q", "-m", "jail work on " + file);
  }

  private static void repoWrite(Path file, String content) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, content);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void createMakesAPrivateGitDirAndTheUsersBranch() {
    assertEquals(dirs.dataDir().resolve("gitdirs/j.git"), jail.gitDir());
    assertTrue(Files.isRegularFile(wt.resolve("src/a.txt")));
    assertEquals("gitdir: " + jail.gitDir() + "\n", read(wt.resolve(".git")));
    assertEquals(jail.baseCommit() + "\n", repo.git("rev-parse", "refs/heads/" + jail.branch()));
    assertEquals("", TestRepo.run(wt, "status", "--porcelain"));
    assertFalse(Files.exists(repo.dir.resolve(".git/worktrees")), "no linked worktree");
    // The user's branches are visible inside, read from a snapshot.
    assertTrue(TestRepo.run(wt, "log", "--oneline", "main").contains("initial"));
  }

  @Test
  void anOptionLikeStartingPointIsInvalidInputAndChangesNothing() {
    for (String start : List.of("-x", "--all", "--output=/tmp/x")) {
      InvalidInputException e =
          assertThrows(
              InvalidInputException.class,
              () -> jails.create(CreateOptions.builder("o", repo.dir).branch(start).build()));
      assertTrue(e.getMessage().contains(start), e.getMessage());
    }
    assertEquals(List.of(jail), jails.list());
    assertEquals(1, repo.git("branch", "--list", "robojail/*").lines().count());
  }

  @Test
  void statusImportsTheJailsCommits() throws IOException {
    String before = repo.git("rev-parse", "main");
    commitInJailFromHost("new.txt", "n\n");
    JailStatus status = jails.status("j");
    assertEquals(1, status.commitsSinceBase());
    assertFalse(status.uncommittedChanges());
    String tip = TestRepo.run(wt, "rev-parse", "HEAD");
    assertEquals(tip, repo.git("rev-parse", "refs/heads/" + jail.branch()));
    assertEquals("n\n", repo.git("show", jail.branch() + ":new.txt"));
    assertEquals(before, repo.git("rev-parse", "main"));
    repo.git("fsck", "--strict");
    assertFalse(jails.importBranch("j"), "nothing new the second time");
  }

  @Test
  void destroyImportsFirstAndKeepsTheBranch() {
    commitInJailFromHost("kept.txt", "k\n");
    String tip = TestRepo.run(wt, "rev-parse", "HEAD");
    DestroyResult result = jails.destroyJail("j", false);
    assertEquals(
        new DestroyResult(
            jail.name(),
            jail.repo(),
            jail.branch(),
            DestroyResult.BranchOutcome.KEPT_UNMERGED_COMMITS,
            1),
        result);
    assertTrue(result.branchKept());
    assertEquals(tip, repo.git("rev-parse", "refs/heads/" + jail.branch()));
    assertFalse(Files.exists(wt, LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(jail.gitDir(), LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void destroyStillWordsTheKeptBranchForCallersThatPrintIt() {
    JailState other = jails.create("k", repo.dir);
    repoWrite(other.worktree().resolve("kept.txt"), "k\n");
    TestRepo.run(other.worktree(), "add", "-A");
    TestRepo.run(other.worktree(), "commit", "-q", "-m", "jail work");
    assertEquals(
        "kept branch "
            + other.branch()
            + " with 1 commit; delete it with: git -C "
            + other.repo()
            + " branch -D "
            + other.branch(),
        jails.destroy("k", false).orElseThrow());
  }

  @Test
  void destroyDeletesABranchWhoseCommitsAreOnAnotherBranch() {
    commitInJailFromHost("merged.txt", "m\n");
    jails.importBranch("j");
    repo.git("branch", "keep", jail.branch());
    assertEquals(
        DestroyResult.BranchOutcome.DELETED_MERGED_ELSEWHERE,
        jails.destroyJail("j", false).outcome());
    assertEquals("", repo.git("branch", "--list", "robojail/*"));
  }

  @Test
  void destroyWithoutCommitsDeletesTheBranchEvenIfTheJailLockedItsDirectories() throws IOException {
    Path locked = Files.createDirectories(jail.gitDir().resolve("locked/inner"));
    Files.writeString(locked.resolve("f"), "x");
    Files.setPosixFilePermissions(locked.getParent(), PosixFilePermissions.fromString("---------"));
    assertEquals(
        DestroyResult.BranchOutcome.DELETED_NO_COMMITS, jails.destroyJail("j", false).outcome());
    assertFalse(Files.exists(jail.gitDir(), LinkOption.NOFOLLOW_LINKS));
    assertEquals("", repo.git("branch", "--list", "robojail/*"));
  }

  @Test
  void mergeShowsThenMergesIntoTheCurrentBranch() {
    commitInJailFromHost("feature.txt", "f\n");
    MergePlan plan = jails.planMerge("j");
    assertEquals("main", plan.into());
    assertEquals(1, plan.commits().size());
    assertTrue(
        plan.commits().getFirst().endsWith("jail work on feature.txt"), plan.commits().toString());
    assertTrue(plan.stat().contains("feature.txt"), plan.stat());
    String head = jails.merge(plan);
    assertEquals(head, repo.git("rev-parse", "main").strip());
    assertEquals("f\n", read(repo.dir.resolve("feature.txt")));
    assertTrue(jails.planMerge("j").isEmpty());
  }

  @Test
  void mergeMakesAMergeCommitWhenBothMoved() {
    commitInJailFromHost("feature.txt", "f\n");
    repo.write("other.txt", "o\n").commit("user work");
    jails.merge(jails.planMerge("j"));
    assertEquals(3, repo.git("rev-list", "--parents", "-1", "main").strip().split(" ").length);
    assertTrue(Files.exists(repo.dir.resolve("feature.txt")));
    assertTrue(repo.git("log", "-1", "--format=%s", "main").contains("Merge jail j"));
  }

  @Test
  void mergeRefusesADirtyRepositoryAndAPlanThatIsStale() {
    commitInJailFromHost("feature.txt", "f\n");
    repo.write("README", "edited by the user\n");
    assertThrows(JailConflictException.class, () -> jails.planMerge("j"));
    repo.git("checkout", "--", "README");
    MergePlan plan = jails.planMerge("j");
    commitInJailFromHost("more.txt", "m\n");
    jails.importBranch("j");
    assertThrows(JailConflictException.class, () -> jails.merge(plan));
    assertFalse(Files.exists(repo.dir.resolve("feature.txt")));
  }

  @Test
  void aSymlinkedRefIsNotFollowed() throws IOException {
    commitInJailFromHost("x.txt", "x\n");
    Path ref = jail.gitDir().resolve("refs/heads/" + jail.branch());
    String tip = read(ref);
    Path elsewhere = tmp.resolve("elsewhere");
    Files.writeString(elsewhere, tip);
    Files.delete(ref);
    Files.createSymbolicLink(ref, elsewhere);
    assertThrows(JailException.class, () -> jails.importBranch("j"));
    assertEquals(jail.baseCommit() + "\n", repo.git("rev-parse", "refs/heads/" + jail.branch()));
  }

  @Test
  void aBrokenOrForeignTipIsRefused() throws IOException {
    Path ref = jail.gitDir().resolve("refs/heads/" + jail.branch());
    Files.writeString(ref, "1234567890123456789012345678901234567890\n");
    assertThrows(JailException.class, () -> jails.importBranch("j"));
    Files.writeString(ref, "--upload-pack=touch /tmp/x\n");
    assertThrows(JailException.class, () -> jails.importBranch("j"));
    String tree = repo.git("rev-parse", "HEAD^{tree}").strip();
    Files.writeString(ref, tree + "\n");
    assertThrows(JailException.class, () -> jails.importBranch("j"));
    assertEquals(jail.baseCommit() + "\n", repo.git("rev-parse", "refs/heads/" + jail.branch()));
  }

  @Test
  void aPackedRefIsImportedToo() {
    commitInJailFromHost("p.txt", "p\n");
    TestRepo.run(wt, "pack-refs", "--all", "--prune");
    assertTrue(jails.importBranch("j"));
    assertEquals(
        TestRepo.run(wt, "rev-parse", "HEAD"),
        repo.git("rev-parse", "refs/heads/" + jail.branch()));
  }

  @Test
  void manyObjectsAreImportedAsAPack() {
    for (int i = 0; i < 120; i++) {
      repoWrite(wt.resolve("many/f" + i), "file " + i + "\n");
    }
    TestRepo.run(wt, "add", "-A");
    TestRepo.run(wt, "commit", "-q", "-m", "many");
    TestRepo.run(wt, "gc", "-q");
    assertEquals(1, jails.status("j").commitsSinceBase());
    assertEquals("file 7\n", repo.git("show", jail.branch() + ":many/f7"));
    repo.git("fsck", "--strict");
  }

  /**
   * The jail plants a command everywhere git might look in its private git directory and worktree;
   * status, diff, merge and destroy must run none of it.
   */
  @Test
  void plantedGitConfigurationNeverRunsOnTheHost() throws Exception {
    Path marker = tmp.resolve("pwned-" + UUID.randomUUID());
    String payload = "touch " + marker;
    repoWrite(wt.resolve(".gitattributes"), "* filter=x diff=x merge=x\n");
    commitInJailFromHost("feature.txt", "f\nchanged\n");
    Path gitDir = jail.gitDir();
    Path hooks = Files.createDirectories(gitDir.resolve("evil-hooks"));
    for (String hook :
        List.of(
            "pre-commit",
            "post-checkout",
            "post-merge",
            "pre-merge-commit",
            "reference-transaction",
            "post-rewrite",
            "pre-auto-gc",
            "post-index-change",
            "fsmonitor-watchman")) {
      Path h = hooks.resolve(hook);
      Files.writeString(h, "#!/bin/sh\n" + payload + "\n");
      h.toFile().setExecutable(true);
    }
    Files.createDirectories(gitDir.resolve("hooks"));
    for (Path h : Files.list(hooks).toList()) {
      Files.copy(h, gitDir.resolve("hooks").resolve(h.getFileName()));
    }
    String evilConfig =
        "[core]\n\tfsmonitor = \""
            + payload
            + "\"\n\thooksPath = "
            + hooks
            + "\n\tpager = "
            + payload
            + "\n\tsshCommand = "
            + payload
            + "\n\talternateRefsCommand = "
            + payload
            + "\n[diff]\n\texternal = "
            + payload
            + "\n[filter \"x\"]\n\tclean = "
            + payload
            + "\n\tsmudge = "
            + payload
            + "\n\tprocess = "
            + payload
            + "\n[diff \"x\"]\n\ttextconv = "
            + payload
            + "\n\tcommand = "
            + payload
            + "\n[merge \"x\"]\n\tdriver = "
            + payload
            + "\n[uploadpack]\n\tpackObjectsHook = "
            + payload
            + "\n";
    Path included = tmp.resolve("included.config");
    Files.writeString(included, evilConfig);
    Files.writeString(
        gitDir.resolve("config"),
        evilConfig + "[include]\n\tpath = " + included + "\n",
        java.nio.file.StandardOpenOption.APPEND);
    // An alternates file pointing out of the jail, and a worktree .git file pointing elsewhere.
    Files.writeString(gitDir.resolve("objects/info/alternates"), tmp + "/nowhere/objects\n");
    Path evilDir = tmp.resolve("evil.git");
    TestRepo.run(tmp, "init", "-q", "--bare", evilDir.toString());
    Files.writeString(
        evilDir.resolve("config"), evilConfig, java.nio.file.StandardOpenOption.APPEND);
    Files.writeString(wt.resolve(".git"), "gitdir: " + evilDir + "\n");
    repoWrite(wt.resolve("uncommitted.txt"), "u\n");

    // The setup really is an attack: plain git on the private git directory runs it.
    try {
      TestRepo.run(tmp, "--git-dir=" + gitDir, "--work-tree=" + wt, "status");
    } catch (AssertionError ignored) {
      // whether it ran the command is what counts
    }
    assertTrue(Files.exists(marker), "the attack setup does not trigger git; test is void");
    Files.delete(marker);

    JailStatus status = jails.status("j");
    assertEquals(1, status.commitsSinceBase());
    jails.diff("j");
    jails.merge(jails.planMerge("j"));
    assertEquals("f\nchanged\n", read(repo.dir.resolve("feature.txt")));
    jails.destroy("j", true);
    assertFalse(Files.exists(marker), "a planted command ran on the host");
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Nested
  @NeedsUserNamespaces
  class InJail {
    int sh(String script) {
      return jails.run("j", List.of("sh", "-c", script), false, b -> b.stdin(Stdio.discard()));
    }

    @Test
    void gitWorksInsideCommitBranchCheckout() {
      assertEquals(
          0,
          sh(
              "set -e; git status --short; git log --oneline | grep -q initial;"
                  + " echo w > work.txt; git add work.txt; git commit -q -m work;"
                  + " git diff HEAD~1 --stat | grep -q work.txt;"
                  + " git branch side; git checkout -q side; git checkout -q "
                  + jail.branch()
                  + "; git log --oneline main | grep -q initial"));
      JailStatus status = jails.status("j");
      assertEquals(1, status.commitsSinceBase());
      assertFalse(status.uncommittedChanges());
      assertTrue(repo.git("log", "--format=%s", jail.branch()).contains("work"));
    }

    @Test
    void nothingTheJailDoesToGitReachesTheUsersRepository() throws IOException {
      Path userGit = repo.dir.resolve(".git");
      String before = fingerprint(userGit);
      Path objects = userGit.resolve("objects");
      String script =
          String.join(
              "\n",
              "G=\"$(git rev-parse --git-dir)\"",
              // nothing of the user's git directory but its objects is visible
              "test ! -e '" + userGit.resolve("config") + "' || exit 10",
              "test ! -e '" + userGit.resolve("hooks") + "' || exit 11",
              "test ! -e '" + userGit.resolve("refs") + "' || exit 12",
              "test -d '" + objects + "' || exit 13",
              "! touch '" + objects + "/x' 2>/dev/null || exit 14",
              "git branch -D main >/dev/null 2>&1",
              "git update-ref -d refs/heads/main",
              "git config core.hooksPath /tmp/hooks",
              "git config core.fsmonitor 'touch /tmp/pwned; true'",
              "mkdir -p \"$G/hooks\" && printf '#!/bin/sh\\ntouch /tmp/pwned\\n' > \"$G/hooks/post-checkout\" && chmod +x \"$G/hooks/post-checkout\"",
              "echo c > c.txt && git add c.txt && git commit -q -m c",
              "git gc -q --prune=now 2>/dev/null",
              "git reflog expire --expire=now --all 2>/dev/null",
              "rm -rf '" + objects + "' 2>/dev/null",
              "find '" + objects + "' -type f -exec sh -c 'echo x > \"$1\"' _ {} \\; 2>/dev/null",
              "rm -rf \"$G\" .git 2>/dev/null",
              "test ! -e \"$G/HEAD\" || exit 15",
              "exit 0");
      assertEquals(0, sh(script));
      assertEquals(before, fingerprint(userGit), "the user's git directory changed");
      repo.git("fsck", "--strict");
      // With its git directory gone, the jail's branch stays as it was in the user's repository.
      assertEquals(jail.baseCommit() + "\n", repo.git("rev-parse", "refs/heads/" + jail.branch()));
      jails.destroy("j", true);
    }
  }
}
