package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.abort;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code robojail merge} when the jail and the user changed the same line: it stops with one line
 * and exit status 1, and leaves the repository mid-merge for the user to resolve or abort. Driven
 * through {@link Main}, as a user would.
 */
@Tag("namespace")
class CliMergeConflictTest {
  @TempDir Path tmp;
  Path repo;
  MainProcess robojail;

  @BeforeEach
  void setUp() throws Exception {
    // Re-run as nobody, who must be able to write here.
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
    robojail = new MainProcess(tmp);
    repo = Files.createDirectories(tmp.resolve("repo"));
    CliTest.git(repo, "init", "-q", "-b", "main");
    Files.writeString(repo.resolve("README"), "hello\n");
    CliTest.git(repo, "add", ".");
    commit("initial");
    MainProcess.Result create = robojail.run("create", "--name", "c", "--repo", repo.toString());
    assertEquals(0, create.code(), create.err());
    MainProcess.Result probe = robojail.run("run", "c", "--", "/bin/true");
    // 4: the system cannot run a jail (README, "Exit codes").
    if (probe.code() == 4 && probe.err().contains("namespaces")) {
      abort(probe.err().strip());
    }
    assertEquals(0, probe.code(), probe.err());
  }

  @Test
  void aConflictStopsTheMergeInOneLineAndLeavesTheRepositoryMidMerge() throws Exception {
    MainProcess.Result jailCommit =
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

    MainProcess.Result merge = robojail.run("merge", "c", "--yes");
    assertEquals(1, merge.code(), merge.err()); // 1: a robojail error
    assertEquals(1, merge.err().lines().count(), merge.err());
    assertTrue(
        merge.err().startsWith("robojail: the merge stopped with conflicts in "), merge.err());
    assertTrue(merge.err().contains("git merge --abort"), merge.err());
    assertTrue(merge.out().contains("jail edits README"), merge.out());

    // Mid-merge: MERGE_HEAD is set, README is unmerged and carries both sides.
    CliTest.git(repo, "rev-parse", "-q", "--verify", "MERGE_HEAD");
    assertTrue(CliTest.git(repo, "ls-files", "--unmerged").contains("README"));
    String readme = Files.readString(repo.resolve("README"));
    assertTrue(readme.contains("<<<<<<<"), readme);
    assertTrue(readme.contains("hello from the jail"), readme);
    assertTrue(readme.contains("hello from the user"), readme);

    // What the message offers works, and gives back the user's own commit.
    CliTest.git(repo, "merge", "--abort");
    assertEquals("hello from the user\n", Files.readString(repo.resolve("README")));
    assertEquals("", CliTest.git(repo, "status", "--porcelain"));
    assertFalse(CliTest.git(repo, "log", "--format=%s", "main").contains("jail edits README"));
  }

  private void commit(String message) throws Exception {
    CliTest.git(
        repo, "-c", "user.name=T", "-c", "user.email=t@t", "commit", "-q", "-a", "-m", message);
  }
}
