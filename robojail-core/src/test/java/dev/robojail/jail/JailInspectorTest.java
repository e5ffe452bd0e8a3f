package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.testkit.TestRepo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JailInspectorTest {
  @TempDir Path tmp;
  private final Git git = new Git();
  private final JailInspector inspector = new JailInspector(git);
  private TestRepo repo;
  private JailState jail;
  private Path wt;

  @BeforeEach
  void makeJail() {
    repo = TestRepo.init(tmp.resolve("repo"));
    repo.write("keep.txt", "same\n")
        .write("edit.txt", "one\ntwo\nthree\n")
        .write("gone.txt", "bye\n")
        .write("src/moved.txt", "a long enough line for rename detection\n".repeat(5))
        .commit("base");
    jail = worktree("j1");
    wt = jail.worktree();
  }

  /** Makes a jail worktree the way robojail does and returns its state. */
  private JailState worktree(String name) {
    String base = git.revParse(repo.dir, "HEAD");
    String branch = "robojail/" + name;
    Path worktree = tmp.resolve("jails").resolve(name);
    Path gitDir = git.worktreeAdd(repo.dir, worktree, branch, base);
    return new JailState(
        JailName.of(name),
        repo.dir,
        branch,
        base,
        worktree,
        gitDir,
        Instant.now(),
        List.of(),
        null);
  }

  private Map<String, FileChange> byPath(JailStatus status) {
    return status.changes().stream().collect(Collectors.toMap(FileChange::path, c -> c));
  }

  @Test
  void parsesRawAndNumstatFromOneDiff() {
    String out =
        ":000000 100644 "
            + "0".repeat(40)
            + " "
            + "1".repeat(40)
            + " A\0:odd\0"
            + ":100644 100644 "
            + "2".repeat(40)
            + " "
            + "2".repeat(40)
            + " R100\0old\0new\0"
            + "3\t0\t:odd\0"
            + "-\t-\t\0old\0new\0";
    JailInspector.Changes changes = JailInspector.parseRawNumstat(out);
    assertEquals(2, changes.raw().size());
    assertEquals(":odd", changes.raw().get(0).path());
    assertEquals('R', changes.raw().get(1).status());
    assertEquals("old", changes.raw().get(1).oldPath());
    assertEquals(3, changes.numstat().get(":odd")[0]);
    assertEquals(-1, changes.numstat().get("new")[0]);
    assertTrue(JailInspector.parseRawNumstat("").raw().isEmpty());
  }

  @Test
  void knownTipGivesTheSameStatus() throws IOException {
    Files.writeString(wt.resolve("edit.txt"), "changed\n");
    Files.writeString(wt.resolve("new.txt"), "n\n");
    JailStatus looked = inspector.status(jail);
    assertEquals(looked, inspector.status(jail, java.util.Optional.of(jail.baseCommit())));
    assertTrue(looked.uncommittedChanges());
    assertEquals(0, looked.commitsSinceBase());
  }

  @Test
  void cleanJail() {
    JailStatus status = inspector.status(jail);
    assertTrue(status.isClean(), status.toString());
    assertFalse(status.uncommittedChanges());
    assertEquals("", inspector.diff(jail));
  }

  @Test
  void countsEveryKindOfChange() throws IOException {
    Files.writeString(wt.resolve("edit.txt"), "one\nTWO\nthree\nfour\n");
    Files.delete(wt.resolve("gone.txt"));
    Files.createDirectories(wt.resolve("dst"));
    Files.move(wt.resolve("src/moved.txt"), wt.resolve("dst/moved.txt"));
    Files.writeString(wt.resolve("new.txt"), "n1\nn2\n");
    Files.writeString(wt.resolve(".gitignore"), "ignored.log\n");
    Files.writeString(wt.resolve("ignored.log"), "noise\n");

    JailStatus status = inspector.status(jail);
    Map<String, FileChange> changes = byPath(status);
    assertEquals(FileChange.Kind.MODIFIED, changes.get("edit.txt").kind());
    assertEquals(2, changes.get("edit.txt").insertions());
    assertEquals(1, changes.get("edit.txt").deletions());
    assertEquals(FileChange.Kind.DELETED, changes.get("gone.txt").kind());
    assertEquals(FileChange.Kind.RENAMED, changes.get("dst/moved.txt").kind());
    assertEquals("src/moved.txt", changes.get("dst/moved.txt").oldPath());
    assertEquals(FileChange.Kind.ADDED, changes.get("new.txt").kind());
    assertEquals(FileChange.Kind.ADDED, changes.get(".gitignore").kind());
    assertFalse(changes.containsKey("ignored.log"));
    assertFalse(changes.containsKey("keep.txt"));
    assertEquals(2, status.added());
    assertEquals(1, status.modified());
    assertEquals(1, status.deleted());
    assertEquals(1, status.renamed());
    assertEquals(2 + 2 + 1, status.insertions());
    assertEquals(1 + 1, status.deletions());
    assertEquals(0, status.commitsSinceBase());
    assertTrue(status.uncommittedChanges());
  }

  @Test
  void committedWorkCountsAsCommitsAndNotAsUncommitted() throws IOException {
    Files.writeString(wt.resolve("new.txt"), "n\n");
    TestRepo.run(wt, "add", "-A");
    TestRepo.run(wt, "-c", "user.name=J", "-c", "user.email=j@j", "commit", "-q", "-m", "w");
    JailStatus status = inspector.status(jail);
    assertEquals(1, status.commitsSinceBase());
    assertFalse(status.uncommittedChanges());
    assertEquals(FileChange.Kind.ADDED, byPath(status).get("new.txt").kind());
  }

  @Test
  void assumeUnchangedInTheJailsIndexHidesNothing() throws IOException {
    Files.writeString(wt.resolve("edit.txt"), "sneaky\n");
    TestRepo.run(wt, "update-index", "--assume-unchanged", "edit.txt");
    assertEquals("", TestRepo.run(wt, "diff", "--name-only"));
    assertEquals(FileChange.Kind.MODIFIED, byPath(inspector.status(jail)).get("edit.txt").kind());
  }

  @Test
  void theUsersIndexIsNotTouched() throws IOException {
    Files.writeString(wt.resolve("new.txt"), "n\n");
    Path index = jail.gitDir().resolve("index");
    byte[] before = Files.readAllBytes(index);
    inspector.status(jail);
    inspector.diff(jail);
    assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(index)));
    assertTrue(TestRepo.run(wt, "status", "--porcelain").contains("?? new.txt"));
  }

  @Test
  void diffShowsNewFilesAndSummarisesBinaryLargeAndSymlinks() throws IOException {
    Files.writeString(wt.resolve("new.txt"), "hello\n");
    Files.write(wt.resolve("blob.bin"), new byte[] {1, 0, 2, 0, 3});
    Files.writeString(wt.resolve("big.txt"), "x".repeat(100) + "\n".repeat(20_000));
    Files.writeString(wt.resolve("huge.txt"), "line\n".repeat(300_000));
    Files.createSymbolicLink(wt.resolve("passwd"), Path.of("/etc/passwd"));

    String diff = inspector.diff(jail);
    assertTrue(diff.contains("+++ b/new.txt\n@@ -0,0 +1 @@\n+hello\n"), diff);
    assertTrue(diff.contains("Binary file blob.bin (5 bytes)\n"), diff);
    assertTrue(diff.contains("Large file huge.txt (1500000 bytes), not shown\n"), diff);
    assertTrue(diff.contains("+symlink -> /etc/passwd\n"), diff);
    assertFalse(diff.contains("root:"), "symlink was followed: " + diff);
    assertTrue(diff.contains("diff --git a/big.txt b/big.txt"), diff);
    // JUnit warns about deleting a link that points out of the temporary directory.
    Files.delete(wt.resolve("passwd"));
  }

  @Test
  void diffNeutralisesTerminalEscapes() throws IOException {
    Files.writeString(
        wt.resolve("evil.txt"), "\u001b]0;owned\u0007\u001b[2J\u009b1m\n", StandardCharsets.UTF_8);
    Files.writeString(wt.resolve("name\u001b[31m.txt"), "x\n");
    String diff = inspector.diff(jail);
    assertFalse(diff.chars().anyMatch(c -> c == 0x1b || c == 0x07 || c == 0x9b), diff);
    assertTrue(diff.contains("+^[]0;owned^G^[[2J\\x9b1m"), diff);
    JailStatus status = inspector.status(jail);
    assertTrue(byPath(status).containsKey("name\u001b[31m.txt"), "paths are reported as they are");
  }

  @Test
  void deletedBinaryIsSummarisedWithItsOldSize() throws IOException {
    Files.write(repo.dir.resolve("old.bin"), new byte[] {0, 1, 2, 3, 4, 5, 6});
    repo.commit("binary");
    JailState j2 = worktree("j2");
    Files.delete(j2.worktree().resolve("old.bin"));
    assertTrue(inspector.diff(j2).contains("Binary file old.bin (7 bytes)"));
  }

  @Test
  void nestedRepositoryIsListedButNotEntered() {
    TestRepo nested = TestRepo.init(wt.resolve("vendor/lib"));
    nested.write("x.txt", "x\n").commit("n");
    JailStatus status = inspector.status(jail);
    assertEquals(FileChange.Kind.NESTED_REPOSITORY, byPath(status).get("vendor/lib/").kind());
    assertTrue(status.uncommittedChanges());
    assertTrue(inspector.diff(jail).contains("Nested repository vendor/lib/ (not inspected)"));
  }

  /**
   * The jail plants a command in every git configuration it can reach, and repoints the worktree's
   * {@code .git} file at a git directory of its own. Host-side status and diff must run none of it.
   */
  @Test
  void plantedGitConfigurationNeverRuns() throws Exception {
    Path marker = Path.of("/tmp/pwned-" + UUID.randomUUID());
    String payload = "touch " + marker;
    try {
      // 1. An attacker git directory, named by a rewritten .git file in the worktree.
      Path evil = wt.resolve(".evil-git");
      TestRepo.run(tmp, "init", "-q", "--bare", evil.toString());
      String config =
          "[core]\n\tbare = false\n\tfsmonitor = \""
              + payload
              + "\"\n"
              + "\thooksPath = hooks\n\tpager = "
              + payload
              + "\n"
              + "[diff]\n\texternal = "
              + payload
              + "\n"
              + "[filter \"x\"]\n\tclean = "
              + payload
              + "\n\tsmudge = "
              + payload
              + "\n"
              + "[diff \"x\"]\n\ttextconv = "
              + payload
              + "\n\tcommand = "
              + payload
              + "\n";
      Files.writeString(evil.resolve("config"), config, java.nio.file.StandardOpenOption.APPEND);
      Files.writeString(wt.resolve(".git"), "gitdir: " + evil + "\n");
      Files.writeString(wt.resolve(".gitattributes"), "* filter=x diff=x\n");

      // The setup really is an attack: plain git in the worktree runs the planted command.
      Path probe = Path.of(marker + "-probe");
      Files.writeString(
          evil.resolve("config"), config.replace(marker.toString(), probe.toString()));
      try {
        TestRepo.run(wt, "status", "--porcelain");
      } catch (AssertionError ignored) {
        // git may complain afterwards; whether it ran the command is what counts
      }
      assertTrue(Files.exists(probe), "the attack setup does not trigger git; test is void");
      Files.delete(probe);
      Files.writeString(evil.resolve("config"), config);

      // 2. The real administrative directory, rewritten as a jail with it mounted writable could.
      Path admin = jail.gitDir();
      Files.writeString(admin.resolve("config.worktree"), config);
      Files.writeString(admin.resolve("commondir"), evil + "\n");

      Files.writeString(wt.resolve("edit.txt"), "changed\n");
      Files.writeString(wt.resolve("new.txt"), "new\n");
      JailStatus status = inspector.status(jail);
      String diff = inspector.diff(jail);

      assertFalse(Files.exists(marker), "a planted command ran on the host");
      assertEquals(FileChange.Kind.MODIFIED, byPath(status).get("edit.txt").kind());
      assertEquals(FileChange.Kind.ADDED, byPath(status).get("new.txt").kind());
      assertTrue(diff.contains("+changed"), diff);
    } finally {
      Files.deleteIfExists(marker);
    }
  }

  @Test
  void worktreeGitDirIsFoundWithoutReadingTheWorktree() throws IOException {
    Files.writeString(wt.resolve(".git"), "gitdir: /somewhere/else\n");
    assertEquals(jail.gitDir(), git.worktreeGitDir(repo.dir, wt));
  }
}
