package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.testkit.TestRepo;
import dev.robojail.testkit.TestWorld;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code robojail merge} when the jail and the user changed the same line: it stops with one line
 * and exit status 1, and leaves the repository mid-merge for the user to resolve or abort. Driven
 * through {@link Main}, as a user would.
 */
@NeedsUserNamespaces
class CliMergeConflictTest {
  @TempDir Path tmp;
  Path repo;
  MainProcess robojail;

  @BeforeEach
  void setUp() throws Exception {
    TestWorld world = TestWorld.in(tmp);
    robojail = new MainProcess(world);
    repo = world.repo("repo").dir;
    Result create = robojail.run("create", "--name", "c", "--repo", repo.toString());
    assertEquals(0, create.code(), create.err());
    Result probe = robojail.run("run", "c", "--", "/bin/true");
    assertEquals(0, probe.code(), probe.err());
  }

  @Test
  void aConflictStopsTheMergeInOneLineAndLeavesTheRepositoryMidMerge() throws Exception {
    Result jailCommit =
        robojail.run(
            "run",
            "c",
            "--",
            "sh",
            "-c",
            "echo 'hello from the jail' > README && git commit -q -a -m 'jail edits README'");
    assertEquals(0, jailCommit.code(), jailCommit.err());
    Files.writeString(repo.resolve("README"), "hello from the user\n");
    commit("user edits README");

    Result merge = robojail.run("merge", "c", "--yes");
    assertEquals(1, merge.code(), merge.err()); // 1: a robojail error
    assertEquals(1, merge.err().lines().count(), merge.err());
    assertTrue(
        merge.err().startsWith("robojail: the merge stopped with conflicts in "), merge.err());
    assertTrue(merge.err().contains("git merge --abort"), merge.err());
    assertTrue(merge.out().contains("jail edits README"), merge.out());

    // Mid-merge: MERGE_HEAD is set, README is unmerged and carries both sides.
    TestRepo.run(repo, "rev-parse", "-q", "--verify", "MERGE_HEAD");
    assertTrue(TestRepo.run(repo, "ls-files", "--unmerged").contains("README"));
    String readme = Files.readString(repo.resolve("README"));
    assertTrue(readme.contains("<<<<<<<"), readme);
    assertTrue(readme.contains("hello from the jail"), readme);
    assertTrue(readme.contains("hello from the user"), readme);

    // What the message offers works, and gives back the user's own commit.
    TestRepo.run(repo, "merge", "--abort");
    assertEquals("hello from the user\n", Files.readString(repo.resolve("README")));
    assertEquals("", TestRepo.run(repo, "status", "--porcelain"));
    assertFalse(TestRepo.run(repo, "log", "--format=%s", "main").contains("jail edits README"));
  }

  private void commit(String message) throws Exception {
    TestRepo.run(
        repo, "-c", "user.name=T", "-c", "user.email=t@t", "commit", "-q", "-a", "-m", message);
  }
}
