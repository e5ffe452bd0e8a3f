package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GitTest {
  @TempDir Path tmp;
  private final Git git = new Git();

  @Test
  void recognisesRepositoriesAndCommits() throws Exception {
    assertFalse(git.isRepository(tmp));
    TestRepo repo = TestRepo.init(tmp.resolve("repo"));
    assertTrue(git.isRepository(repo.dir));
    assertFalse(git.hasCommits(repo.dir));
    String head = repo.write("a.txt", "a\n").commit("first");
    assertTrue(git.hasCommits(repo.dir));
    assertEquals(head, git.revParse(repo.dir, "HEAD"));
    assertEquals(head, git.revParse(repo.dir, "main"));
    assertEquals(repo.dir.toRealPath().resolve(".git"), git.commonDir(repo.dir));
  }

  @Test
  void failureNamesCommandAndGitsMessage() {
    TestRepo repo = TestRepo.init(tmp.resolve("repo"));
    repo.write("a.txt", "a\n").commit("first");
    GitException e = assertThrows(GitException.class, () -> git.run(repo.dir, "checkout", "nope"));
    assertTrue(
        e.getMessage().startsWith("git checkout nope: error: pathspec 'nope'"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
    assertEquals(1, e.exitCode());
    assertThrows(GitException.class, () -> git.revParse(repo.dir, "nope"));
    assertThrows(IllegalArgumentException.class, () -> git.revParse(repo.dir, "--all"));
  }

  @Test
  void worktreeLifecycle() throws Exception {
    TestRepo repo = TestRepo.init(tmp.resolve("repo"));
    String base = repo.write("a.txt", "a\n").commit("first");
    Path dir = tmp.resolve("jails/j1");
    Path gitDir = git.worktreeAdd(repo.dir, dir, "robojail/j1", base);
    assertEquals(repo.dir.toRealPath().resolve(".git/worktrees/j1"), gitDir);
    assertEquals(gitDir, git.worktreeGitDir(repo.dir, dir));
    assertTrue(Files.isRegularFile(dir.resolve("a.txt")));
    assertTrue(git.branchExists(repo.dir, "robojail/j1"));
    assertFalse(git.branchExists(repo.dir, "robojail/j2"));

    // Nothing new on the jail branch yet: it is all on main.
    assertTrue(git.isBranchMergedElsewhere(repo.dir, "robojail/j1"));
    TestRepo.run(
        dir,
        "-c",
        "user.name=J",
        "-c",
        "user.email=j@j",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "jail work");
    assertEquals(1, git.unmergedCommitCount(repo.dir, "robojail/j1"));
    assertFalse(git.isBranchMergedElsewhere(repo.dir, "robojail/j1"));
    repo.git("branch", "keep", "robojail/j1");
    assertTrue(git.isBranchMergedElsewhere(repo.dir, "robojail/j1"));

    Files.writeString(dir.resolve("dirty.txt"), "x");
    assertThrows(GitException.class, () -> git.worktreeRemove(repo.dir, dir, false));
    git.worktreeRemove(repo.dir, dir, true);
    assertFalse(Files.exists(dir));
    assertFalse(Files.exists(gitDir));
    git.deleteBranch(repo.dir, "robojail/j1", true);
    assertFalse(git.branchExists(repo.dir, "robojail/j1"));
  }

  @Test
  void inheritedGitVariablesAreDropped() {
    Map<String, String> env =
        new HashMap<>(
            Map.of(
                "GIT_DIR",
                "/evil",
                "GIT_EXTERNAL_DIFF",
                "/evil/diff",
                "GIT_CONFIG_PARAMETERS",
                "'core.fsmonitor'='evil'",
                "HOME",
                "/home/u"));
    Git.environment(env, Map.of("GIT_INDEX_FILE", "/tmp/i"));
    assertFalse(env.containsKey("GIT_DIR"));
    assertFalse(env.containsKey("GIT_EXTERNAL_DIFF"));
    assertFalse(env.containsKey("GIT_CONFIG_PARAMETERS"));
    assertEquals("/home/u", env.get("HOME"));
    assertEquals("1", env.get("GIT_CONFIG_NOSYSTEM"));
    assertEquals("/dev/null", env.get("GIT_CONFIG_GLOBAL"));
    assertEquals("0", env.get("GIT_TERMINAL_PROMPT"));
    assertEquals("0", env.get("GIT_OPTIONAL_LOCKS"));
    assertEquals("/tmp/i", env.get("GIT_INDEX_FILE"));
  }
}
