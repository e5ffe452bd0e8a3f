package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.testkit.TestRepo;
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
  void repoInfoAnswersCreatesQuestionsInOneGo() throws Exception {
    assertTrue(git.repoInfo(tmp, "HEAD").isEmpty(), "not a repository");
    TestRepo repo = TestRepo.init(tmp.resolve("repo"));
    assertTrue(git.repoInfo(repo.dir, "HEAD").isEmpty(), "no commits");
    String head = repo.write("sub/a.txt", "a\n").commit("first");
    Git.RepoInfo info = git.repoInfo(repo.dir.resolve("sub"), "HEAD").orElseThrow();
    assertEquals(repo.dir.toRealPath(), info.topLevel());
    assertEquals(repo.dir.toRealPath().resolve(".git"), info.commonDir());
    assertEquals("sha1", info.objectFormat());
    assertEquals(head, info.commit());
    assertEquals(head, git.repoInfo(repo.dir, "main").orElseThrow().commit());
    assertTrue(git.repoInfo(repo.dir, "nope").isEmpty());
    assertThrows(IllegalArgumentException.class, () -> git.repoInfo(repo.dir, "--all"));
  }

  @Test
  void commonDirWithoutGitAgreesWithGit() throws Exception {
    TestRepo repo = TestRepo.init(tmp.resolve("repo"));
    String base = repo.write("a.txt", "a\n").commit("first");
    Path viaGit =
        Path.of(
            git.run(repo.dir, "rev-parse", "--path-format=absolute", "--git-common-dir").strip());
    assertEquals(viaGit, git.commonDir(repo.dir));
    Path link = tmp.resolve("link");
    Files.createSymbolicLink(link, repo.dir);
    assertEquals(viaGit, git.commonDir(link));
    // A linked worktree's .git is a file: git is asked, and names the main repository's.
    Path linked = tmp.resolve("linked");
    git.worktreeAdd(repo.dir, linked, "other", base);
    assertEquals(viaGit, git.commonDir(linked));
  }

  @Test
  void identityReadsNameAndEmailInOneProcess() throws Exception {
    TestRepo repo = TestRepo.init(tmp.resolve("repo"));
    Path home = Files.createDirectories(tmp.resolve("home"));
    Files.writeString(home.resolve(".gitconfig"), "[user]\n\tname = Global\n\temail = g@x\n");
    git.run(repo.dir, "config", "--unset", "user.email");
    git.run(repo.dir, "config", "--add", "user.name", "Local Name");
    // The repository's value over the global one, the last value of several, as git config --get.
    assertEquals(Map.of("name", "Local Name", "email", "g@x"), git.identity(repo.dir, home));
    git.run(repo.dir, "config", "--unset-all", "user.name");
    git.run(repo.dir, "config", "user.email", "bad\u0007mail");
    assertEquals(Map.of("name", "Global"), git.identity(repo.dir, home));
    Files.delete(home.resolve(".gitconfig"));
    git.run(repo.dir, "config", "--unset", "user.email");
    assertEquals(Map.of(), git.identity(repo.dir, home));
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
  void commandTakesInputAndEnvironmentAndThrowsUnlessFailureIsAllowed() throws Exception {
    TestRepo repo = TestRepo.init(tmp.resolve("repo"));
    repo.write("a.txt", "a\n").commit("first");
    byte[] content = "x\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    String id =
        git.command(repo.dir).args("hash-object", "-w", "--stdin").input(content).run().line();
    assertEquals("x\n", git.run(repo.dir, "cat-file", "-p", id));
    Path input = Files.write(tmp.resolve("input"), content);
    assertEquals(
        id, git.command(repo.dir).args("hash-object", "--stdin").input(input).run().line());

    Path index = tmp.resolve("other-index");
    git.command(repo.dir).env("GIT_INDEX_FILE", index.toString()).args("read-tree", "HEAD").run();
    assertTrue(Files.isRegularFile(index));

    Git.Result failed = git.command(repo.dir).args("rev-parse", "nope").allowFailure().run();
    assertTrue(failed.exitCode() != 0);
    GitException e =
        assertThrows(
            GitException.class, () -> git.command(repo.dir).args("rev-parse", "nope").run());
    assertEquals(failed.exitCode(), e.exitCode());
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

  @Test
  void aGitTooOldForTheHardeningIsRefusedBeforeItRunsAnything() throws Exception {
    // git 2.30 (Debian 11) ignores GIT_CONFIG_GLOBAL and GIT_CONFIG_COUNT: it would run hooks and
    // drivers a jail planted. This one says its version and records any other call.
    Path ran = tmp.resolve("ran");
    Path old = tmp.resolve("old-git");
    Files.writeString(
        old,
        "#!/bin/sh\n"
            + "for a; do [ \"$a\" = --version ] && { echo 'git version 2.30.2'; exit 0; }; done\n"
            + "echo \"$@\" >> '"
            + ran
            + "'\n");
    Files.setPosixFilePermissions(
        old, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    Git git = new Git(old.toString());
    GitException e = assertThrows(GitException.class, () -> git.run(tmp, "status"));
    assertTrue(e.getMessage().contains("git version 2.30.2 is too old"), e.getMessage());
    assertFalse(Files.exists(ran), "the old git ran a command");
    assertTrue(Git.isRecentEnough("git version 2.32.0"));
    assertFalse(Git.isRecentEnough("git version 2.31.9"));
  }
}
