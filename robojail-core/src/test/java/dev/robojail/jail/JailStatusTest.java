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
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code status} says a real jail changed, done with git inside the jail: submodule pointers
 * (which the hardened configuration hides from every diff) in the status, the diff and the merge
 * preview, and for each file whether it is committed, staged, unstaged or untracked.
 */
@NeedsUserNamespaces
class JailStatusTest {
  @TempDir Path tmp;
  TestRepo repo;
  TestRepo sub;
  String subOld;
  Jails jails;

  @BeforeEach
  void setUp() throws IOException {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
    Path home = Files.createDirectories(tmp.resolve("home"));
    sub = TestRepo.init(tmp.resolve("sub"));
    subOld = sub.write("lib.c", "int lib;\n").commit("lib");
    repo = TestRepo.init(tmp.resolve("repo"));
    repo.write("README", "hello\n")
        .write("keep.txt", "1\n")
        .write("stage.txt", "1\n")
        .write("edit.txt", "1\n")
        .write("gone.txt", "1\n")
        .write("twice.txt", "1\n");
    repo.git(
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        sub.dir.toString(),
        "vendor/lib");
    repo.commit("initial, with a submodule");
    jails = Jails.open(TestWorld.in(tmp).dirs(), home);
    jails.create("j", repo.dir);
  }

  private String inJail(String script) {
    Path out = tmp.resolve("out-" + System.nanoTime());
    int code =
        jails.run(
            "j",
            List.of(
                "sh",
                "-c",
                "exec 2>&1; export GIT_AUTHOR_NAME=a GIT_AUTHOR_EMAIL=a@example.com"
                    + " GIT_COMMITTER_NAME=a GIT_COMMITTER_EMAIL=a@example.com; "
                    + script),
            false,
            b -> b.stdin(Stdio.discard()).stdout(Stdio.file(out)));
    try {
      assertEquals(0, code, Files.readString(out));
      return Files.readString(out).strip();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void submodulePointersTheJailMovedAddedOrRemovedAreShownAndUnderReviewFirst() {
    // Moved: a repository made inside the submodule's directory, its commit recorded as the
    // pointer; added: a submodule of a repository made in the jail's /tmp, whose URL in the
    // committed .gitmodules runs a command on clone (an update command git's own fsck refuses to
    // import, so that one is only in the worktree).
    String moved =
        inJail(
            "set -e; cd vendor/lib; git init -q; git commit -q --allow-empty -m evil;"
                + " cd ../..; git add vendor/lib;"
                + " git init -q /tmp/s; git -C /tmp/s commit -q --allow-empty -m s;"
                + " git -c protocol.file.allow=always submodule add -q /tmp/s added/sub;"
                + " git config -f .gitmodules submodule.added/sub.url 'ext::sh -c touch% /tmp/x';"
                + " git add .gitmodules; git commit -q -m 'move and add';"
                + " git config -f .gitmodules submodule.added/sub.update '!touch /tmp/pwned';"
                + " echo id=$(git -C vendor/lib rev-parse HEAD) id=$(git -C added/sub rev-parse HEAD)");
    String[] ids =
        java.util.regex.Pattern.compile("id=([0-9a-f]{40})")
            .matcher(moved)
            .results()
            .map(m -> m.group(1))
            .toArray(String[]::new);
    assertEquals(2, ids.length, moved);
    JailStatus s = jails.status("j");
    Map<String, FileChange> submodules =
        s.changes().stream()
            .filter(c -> c.kind() == FileChange.Kind.SUBMODULE)
            .collect(Collectors.toMap(FileChange::path, c -> c));
    assertEquals(2, s.submodules(), s.changes().toString());
    FileChange lib = submodules.get("vendor/lib");
    assertEquals(subOld, lib.oldCommit());
    assertEquals(ids[0], lib.newCommit());
    assertEquals("moved", lib.submoduleChange());
    FileChange added = submodules.get("added/sub");
    assertEquals(null, added.oldCommit());
    assertEquals(ids[1], added.newCommit());
    assertEquals("added", added.submoduleChange());
    assertTrue(added.committed());
    List<ReviewFirst.Flagged> review = s.reviewFirst();
    assertTrue(
        review.contains(
            new ReviewFirst.Flagged(
                "vendor/lib",
                "submodule pointer " + subOld.substring(0, 12) + " -> " + ids[0].substring(0, 12))),
        review.toString());
    assertTrue(
        review.contains(
            new ReviewFirst.Flagged(
                "added/sub", "submodule pointer none -> " + ids[1].substring(0, 12))),
        review.toString());
    assertTrue(
        review.stream()
            .anyMatch(
                f ->
                    f.path().equals(".gitmodules")
                        && f.reason().contains("run a command")
                        && f.reason().contains("url = ext::sh -c touch% /tmp/x")
                        && f.reason().contains("update = !touch /tmp/pwned")),
        review.toString());

    String diff = jails.diff("j");
    assertTrue(diff.contains("Submodule vendor/lib moved: " + subOld + " -> " + ids[0]), diff);
    assertTrue(diff.contains("Submodule added/sub added: none -> " + ids[1]), diff);

    MergePlan plan = jails.planMerge("j");
    assertTrue(
        plan.reviewFirst()
            .contains(
                review.get(
                    review.indexOf(
                        new ReviewFirst.Flagged(
                            "vendor/lib",
                            "submodule pointer "
                                + subOld.substring(0, 12)
                                + " -> "
                                + ids[0].substring(0, 12))))),
        plan.reviewFirst().toString());
    assertTrue(
        plan.reviewFirst().stream()
            .anyMatch(f -> f.path().equals(".gitmodules") && f.reason().contains("url = ext::sh")),
        plan.reviewFirst().toString());
  }

  @Test
  void aSubmoduleTheJailRemovedIsShown() {
    inJail("set -e; git rm -q vendor/lib; git commit -q -m 'no more lib'");
    JailStatus s = jails.status("j");
    FileChange lib =
        s.changes().stream()
            .filter(c -> c.kind() == FileChange.Kind.SUBMODULE)
            .findFirst()
            .orElseThrow(() -> new AssertionError(s.changes().toString()));
    assertEquals("vendor/lib", lib.path());
    assertEquals("removed", lib.submoduleChange());
    assertEquals(subOld, lib.oldCommit());
    assertTrue(
        s.reviewFirst()
            .contains(
                new ReviewFirst.Flagged(
                    "vendor/lib", "submodule pointer " + subOld.substring(0, 12) + " -> none")),
        s.reviewFirst().toString());
    assertTrue(jails.diff("j").contains("Submodule vendor/lib removed: " + subOld + " -> none"));
  }

  @Test
  void eachFileSaysWhetherItIsCommittedStagedUnstagedOrUntracked() {
    inJail(
        "set -e; echo 2 > keep.txt; echo 2 > twice.txt; git commit -q -am 'committed';"
            + " echo 3 > twice.txt; echo 2 > stage.txt; git add stage.txt;"
            + " echo 2 > edit.txt; git rm -q gone.txt; echo new > new.txt;"
            + " echo staged-new > added.txt; git add added.txt");
    Map<String, FileChange> byPath =
        jails.status("j").changes().stream().collect(Collectors.toMap(FileChange::path, c -> c));
    assertState(byPath.get("keep.txt"), true, FileChange.Uncommitted.NONE);
    assertState(byPath.get("twice.txt"), true, FileChange.Uncommitted.UNSTAGED);
    assertState(byPath.get("stage.txt"), false, FileChange.Uncommitted.STAGED);
    assertState(byPath.get("edit.txt"), false, FileChange.Uncommitted.UNSTAGED);
    assertState(byPath.get("gone.txt"), false, FileChange.Uncommitted.STAGED);
    assertState(byPath.get("new.txt"), false, FileChange.Uncommitted.UNTRACKED);
    assertState(byPath.get("added.txt"), false, FileChange.Uncommitted.STAGED);
    // Before any commit, the same states come from the index alone.
    inJail("set -e; git reset -q --soft HEAD~1");
    byPath =
        jails.status("j").changes().stream().collect(Collectors.toMap(FileChange::path, c -> c));
    assertEquals(0, jails.status("j").commitsSinceBase());
    assertState(byPath.get("keep.txt"), false, FileChange.Uncommitted.STAGED);
    assertState(byPath.get("edit.txt"), false, FileChange.Uncommitted.UNSTAGED);
    assertState(byPath.get("new.txt"), false, FileChange.Uncommitted.UNTRACKED);
  }

  private static void assertState(
      FileChange c, boolean committed, FileChange.Uncommitted uncommitted) {
    assertTrue(c != null, "no change");
    assertEquals(committed, c.committed(), c.toString());
    assertEquals(uncommitted, c.uncommitted(), c.toString());
  }
}
