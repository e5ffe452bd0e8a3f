package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The escape suite's host-facing half: a hostile jail, in real namespaces, plants what the host
 * might later run or read, and robojail's own commands on the host must not fall for it.
 */
@NeedsUserNamespaces
class HostSideEscapeTest {
  @TempDir Path tmp;
  Path home;
  Dirs dirs;
  TestRepo repo;
  Jails jails;
  JailState jail;
  Path wt;

  @BeforeEach
  void setUp() throws IOException, InterruptedException {
    // Re-run as nobody, who must be able to write here.
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
    home = Files.createDirectories(tmp.resolve("home"));
    dirs = TestWorld.in(tmp).dirs();
    repo = TestRepo.init(tmp.resolve("repo"));
    repo.write("README", "hello\n")
        .write("shared.txt", "one\ntwo\nthree\nfour\nfive\nsix\nseven\n")
        .commit("initial");
    jails = Jails.open(dirs, home);
    jail = jails.create("j", repo.dir);
    wt = jail.worktree();
  }

  private int inJail(String script) {
    return jails.run("j", List.of("sh", "-c", script), false, b -> b.stdin(Stdio.discard()));
  }

  private static String read(Path p) {
    try {
      return Files.exists(p) ? Files.readString(p) : "";
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * Item 3 of the hardening: the user's own repository defines filter, diff and merge drivers
   * (git-lfs, git-crypt, nbstripout do); the jail plants a {@code .gitattributes} that selects them
   * for its files. status, diff, merge and destroy run none of them.
   */
  @Test
  void driversOfTheUsersOwnConfigSelectedByTheJailsAttributesNeverRun() {
    Path marker = tmp.resolve("driver-ran");
    String record = "sh -c 'echo $0 >> " + marker + "; cat' ";
    repo.git("config", "filter.x.clean", record + "clean");
    repo.git("config", "filter.x.smudge", record + "smudge");
    repo.git("config", "filter.x.required", "true");
    repo.git("config", "filter.y.process", "sh -c 'echo process >> " + marker + "; exit 1'");
    repo.git("config", "diff.x.textconv", "sh -c 'echo textconv >> " + marker + "; cat \"$1\"' -");
    repo.git("config", "diff.x.command", "sh -c 'echo external >> " + marker + "' -");
    repo.git("config", "merge.x.driver", "sh -c 'echo merge >> " + marker + "; exit 0' -");
    // The user moves on too, so that the merge is a real three-way merge of shared.txt.
    repo.write("shared.txt", "ONE\ntwo\nthree\nfour\nfive\nsix\nseven\n").commit("user work");
    assertEquals(
        0,
        inJail(
            "set -e; printf '* filter=x diff=x merge=x\\n*.p filter=y\\n' > .gitattributes;"
                + " printf 'one\\ntwo\\nthree\\nfour\\nfive\\nsix\\nSEVEN\\n' > shared.txt;"
                + " echo data > new.p; echo more > more.txt; git add -A; git commit -q -m work;"
                + " echo uncommitted >> more.txt; echo untracked > other.p"));
    // The attack is real: the user's own git, reviewing the worktree, runs the drivers.
    Path commonDir = repo.dir.resolve(".git");
    TestRepo.run(wt, "--git-dir=" + commonDir, "--work-tree=" + wt, "diff", "--stat", "HEAD");
    assertFalse(read(marker).isEmpty(), "the planted attributes run nothing; the test is void");
    try {
      Files.delete(marker);
    } catch (IOException e) {
      throw new AssertionError(e);
    }

    JailStatus status = jails.status("j");
    assertEquals(1, status.commitsSinceBase());
    assertTrue(status.uncommittedChanges());
    assertTrue(jails.diff("j").contains("+uncommitted"));
    assertEquals("", read(marker), "status or diff ran a driver");

    inJail("git checkout -q -- more.txt; rm -f other.p");
    MergePlan plan = jails.planMerge("j");
    jails.merge(plan);
    assertEquals("", read(marker), "merge ran a driver");
    // A real merge all the same: both sides' lines, and the jail's files as git stored them.
    assertEquals("ONE\ntwo\nthree\nfour\nfive\nsix\nSEVEN\n", read(repo.dir.resolve("shared.txt")));
    assertEquals("data\n", read(repo.dir.resolve("new.p")));
    jails.destroy("j", true);
    assertEquals("", read(marker), "destroy ran a driver");
  }

  /**
   * Item 9: git on the host in the jail's worktree (the user's, an IDE's) obeys the worktree's
   * {@code .git} pointer and the private git directory's config, hooks, info and commondir. The
   * jail can change none of them, and git inside still commits, branches and checks out.
   */
  @Test
  void theJailCannotChangeWhatAHostGitInItsWorktreeWouldObey() throws IOException {
    Path gitDir = jail.gitDir();
    Path marker = tmp.resolve("host-git-ran");
    String config = read(gitDir.resolve("config"));
    String pointer = read(wt.resolve(".git"));
    String attempts =
        String.join(
            "\n",
            "export G='" + gitDir + "'",
            "export M='" + marker + "'",
            "n=0",
            "try() { if sh -c \"$1\" 2>/dev/null; then echo \"got through: $1\"; n=$((n+1)); fi; }",
            "try 'git config core.fsmonitor \"touch $M\"'",
            "try 'printf \"[core]\\n\\tfsmonitor = touch $M\\n\" >> $G/config'",
            "try 'rm -f $G/config'",
            "try 'mv $G/config $G/config.old'",
            "try 'printf \"#!/bin/sh\\ntouch $M\\n\" > $G/hooks/post-checkout'",
            "try 'rm -rf $G/hooks'",
            "try 'mv $G/hooks $G/hooks.old'",
            "try 'echo \"* filter=x\" > $G/info/attributes'",
            "try 'rm -rf $G/info'",
            "try 'echo /tmp/elsewhere > $G/commondir'",
            "try 'rm -f $G/commondir'",
            "try 'echo \"gitdir: /tmp/evil.git\" > .git'",
            "try 'rm -f .git'",
            "try 'mv .git git.old'",
            "test $n = 0 || exit 10",
            // git inside still works, and keeps its settings in the jail's own home
            "set -e",
            "git config --global alias.inside 'log --format=%s -1'",
            "echo w > work.txt; git add work.txt; git commit -q -m work",
            "git branch side; git checkout -q side; git checkout -q -",
            "git inside | grep -qx work",
            "git rev-parse --git-common-dir | grep -qx \"$G\"");
    assertEquals(0, inJail(attempts));
    assertEquals(config, read(gitDir.resolve("config")));
    assertEquals(pointer, read(wt.resolve(".git")));
    assertEquals(".\n", read(gitDir.resolve("commondir")));
    try (var hooks = Files.list(gitDir.resolve("hooks"))) {
      assertEquals(0, hooks.count());
    }
    assertFalse(Files.exists(gitDir.resolve("info/attributes")));
    // What an IDE does on open: plain git, the user's environment, in the worktree.
    TestRepo.run(wt, "status");
    TestRepo.run(wt, "checkout", "-q", "side");
    assertFalse(Files.exists(marker), "git on the host ran what the jail planted");
    assertEquals(1, jails.status("j").commitsSinceBase());
  }

  /**
   * The jail plants links to a host file and a host directory, FIFOs and a socket in its worktree
   * (some committed) and in its home: status, diff, the merge preview and destroy open none of them
   * and follow none: no byte of the host's files shows, nothing blocks on a FIFO, and destroy
   * removes the links, never what they point to.
   */
  @Test
  void linksFifosAndSocketsTheJailPlantsAreNeitherFollowedNorOpenedOnTheHost() throws IOException {
    Path secret = Files.writeString(tmp.resolve("secret.txt"), "TOPSECRET-7f3a\n");
    Path secretDir = Files.createDirectories(tmp.resolve("secret-dir"));
    Files.writeString(secretDir.resolve("kept.txt"), "TOPSECRET-dir\n");
    String plant =
        "set -e; ln -s %1$s leak.txt; ln -s %2$s leak-dir; ln -s %2$s/kept.txt deep.txt;"
            + " git add leak.txt leak-dir; git commit -q -m links;"
            + " ln -s %1$s untracked-leak.txt; mkfifo fifo; mkdir d; mkfifo d/fifo;"
            + " python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind(\"sock\")';"
            + " ln -s %2$s ~/dir-link; ln -s %1$s ~/file-link; mkfifo ~/fifo";
    assertEquals(0, inJail(plant.formatted(secret, secretDir)));
    String seen =
        assertTimeoutPreemptively(
            java.time.Duration.ofSeconds(120),
            () -> {
              JailStatus status = jails.status("j");
              assertTrue(status.uncommittedChanges());
              MergePlan plan = jails.planMerge("j");
              return status + "\n" + jails.diff("j") + "\n" + plan;
            });
    assertFalse(seen.contains("TOPSECRET"), seen);
    assertTrue(seen.contains("leak.txt"), "the links are shown, as links: " + seen);
    Path jailHome = jails.home(jail);
    jails.destroyJail("j", true);
    assertFalse(Files.exists(jailHome, java.nio.file.LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(wt, java.nio.file.LinkOption.NOFOLLOW_LINKS));
    assertEquals("TOPSECRET-7f3a\n", Files.readString(secret));
    assertEquals("TOPSECRET-dir\n", Files.readString(secretDir.resolve("kept.txt")));
  }

  private void configure(String toml) {
    try {
      Files.createDirectories(dirs.configFile().getParent());
      Files.writeString(dirs.configFile(), toml);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    jails = Jails.open(dirs, home);
  }

  /**
   * Item 10: robojail's own configuration, state and data (other jails' worktrees and git
   * directories) and the user's git directory stay hidden inside a bind that contains them, even
   * when the configuration hides nothing; the jail's own worktree and git still work.
   */
  @Test
  void robojailsOwnDirectoriesAndTheUsersGitDirectoryAreAlwaysHidden() {
    JailState other = jails.create("other", repo.dir);
    configure("hidden_paths = []\nextra_rw_binds = [\"" + tmp + "\"]\n");
    Path userGit = repo.dir.resolve(".git");
    String script =
        String.join(
            "\n",
            "set -e",
            "test -f '" + repo.dir.resolve("README") + "'", // the bind really is there
            "test ! -e '" + other.worktree().resolve("README") + "'",
            "test ! -e '" + other.gitDir().resolve("HEAD") + "'",
            "test ! -e '" + dirs.stateFile() + "'",
            "test ! -e '" + dirs.configFile() + "'",
            "test ! -e '" + userGit.resolve("config") + "'",
            "test ! -e '" + userGit.resolve("refs") + "'",
            "test ! -e '" + userGit.resolve("packed-refs") + "'",
            "test -d '" + userGit.resolve("objects") + "'",
            "test \"$(ls '" + dirs.dataDir().resolve("jails") + "')\" = j",
            "echo w > work.txt; git add work.txt; git commit -q -m work",
            "git log --oneline main | grep -q initial");
    assertEquals(0, inJail(script));
    assertEquals(1, jails.status("j").commitsSinceBase());
  }

  /**
   * Item 10: with the home bound, the credentials of common tools are hidden by default: files read
   * as empty, directories are empty.
   */
  @Test
  void credentialsInABoundHomeAreHiddenByDefault() throws IOException {
    List<String> files =
        List.of(
            ".netrc",
            ".git-credentials",
            ".npmrc",
            ".pypirc",
            ".m2/settings.xml",
            ".docker/config.json",
            ".config/gh/hosts.yml",
            ".claude/.credentials.json",
            ".codex/auth.json",
            ".ssh/id_ed25519");
    for (String f : files) {
      Path p = home.resolve(f);
      Files.createDirectories(p.getParent());
      Files.writeString(p, "secret-" + f + "\n");
    }
    Files.writeString(home.resolve(".bashrc"), "visible\n");
    configure("extra_ro_binds = [\"~\"]\n");
    StringBuilder script = new StringBuilder("set -e\ngrep -q visible ~/.bashrc\n");
    for (String f : files) {
      script.append("! grep -rqs secret ~/").append(f).append('\n');
    }
    script.append("! grep -rqs secret ~\n");
    assertEquals(0, inJail(script.toString()));
  }

  private int inJail(String name, String script) {
    return jails.run(name, List.of("sh", "-c", script), false, b -> b.stdin(Stdio.discard()));
  }

  /**
   * Item 5: after {@code status} imported jail A's commits into the user's repository, jail B finds
   * none of A's objects in what it sees of the user's object store; once the user merged A's work,
   * it is the user's, and B sees it. A itself keeps seeing its imported objects, even after its own
   * {@code gc --prune=now}.
   */
  @Test
  void oneJailCannotReadAnotherJailsImportedWork() {
    jails.create("b", repo.dir);
    assertEquals(
        0,
        inJail(
            "set -e; echo a-secret-5e4c0f > secret.txt; git add secret.txt;"
                + " git commit -q -m 'work of a'"));
    assertEquals(1, jails.status("j").commitsSinceBase());
    String tip = repo.git("rev-parse", "refs/heads/" + jail.branch()).strip();
    String blob = repo.git("rev-parse", tip + ":secret.txt").strip();
    String lookFor =
        "git cat-file --batch-all-objects --batch-check='%(objectname)' > /tmp/all;"
            + " test -s /tmp/all; ";
    assertEquals(
        0,
        inJail(
            "b",
            "set -e; "
                + lookFor
                + "! grep -q "
                + tip
                + " /tmp/all; ! grep -q "
                + blob
                + " /tmp/all; ! git cat-file -e "
                + blob
                + " 2>/dev/null; ! grep -rqs a-secret-5e4c0f '"
                + repo.dir.resolve(".git/objects")
                + "'"));
    assertEquals(
        0,
        inJail(
            "set -e; git gc -q --prune=now; git cat-file -e " + blob + "; git log --oneline -1"));
    jails.merge(jails.planMerge("j"));
    assertEquals(0, inJail("b", "set -e; " + lookFor + "grep -q " + blob + " /tmp/all"));
  }

  /**
   * Items 11 and 14: the merge preview puts files that run on the host under REVIEW FIRST, at any
   * depth (the Maven wrapper's jar, a lockfile in a subproject, editor rc files, build logic), and
   * warns of a commit message that would drive the user's terminal in a plain {@code git log}.
   */
  @Test
  void theMergePreviewFlagsWhatRunsOnTheHostAndControlCharactersInCommitMessages() {
    List<String> planted =
        List.of(
            ".mvn/wrapper/maven-wrapper.jar",
            "gradle/wrapper/gradle-wrapper.jar",
            "web/package-lock.json",
            "buildSrc/src/main/kotlin/Evil.kt",
            "tools/BUILD.bazel",
            "Directory.Build.props",
            ".pnpmfile.cjs",
            "bunfig.toml",
            "sub/.exrc",
            ".nvimrc",
            ".dir-locals.el",
            ".devcontainer/devcontainer.json",
            "mod/.idea/workspace.xml",
            ".husky/pre-commit",
            ".pre-commit-config.yaml",
            ".gitmodules");
    StringBuilder script = new StringBuilder("set -e\n");
    for (String p : planted) {
      script.append("mkdir -p \"$(dirname '").append(p).append("')\"; echo x > '").append(p);
      script.append("'\n");
    }
    script.append("echo plain > plain.txt\n");
    script.append(
        "git add -A; git commit -q -m \"$(printf 'harmless\\033]52;c;Y3VybA==\\007')\"\n");
    assertEquals(0, inJail(script.toString()));
    MergePlan plan = jails.planMerge("j");
    List<String> flagged = plan.reviewFirst().stream().map(ReviewFirst.Flagged::path).toList();
    assertEquals(planted.stream().sorted().toList(), flagged.stream().sorted().toList());
    assertEquals(1, plan.warnings().size(), plan.warnings().toString());
    assertTrue(plan.warnings().getFirst().contains("control characters"));
    assertTrue(plan.commits().stream().noneMatch(c -> c.indexOf('\u001b') >= 0));
  }

  /**
   * Item 4, for the merge: a submodule pointer the jail moved (a gitlink, committed with plain git
   * inside) is under REVIEW FIRST in the merge preview, old and new commit.
   */
  @Test
  void theMergePreviewShowsASubmodulePointerTheJailMoved() {
    String other = "1234567890abcdef1234567890abcdef12345678";
    assertEquals(
        0,
        inJail(
            "set -e; git update-index --add --cacheinfo 160000,"
                + other
                + ",vendor/lib;"
                + " git commit -q -m 'move the pointer'"));
    MergePlan plan = jails.planMerge("j");
    assertTrue(
        plan.reviewFirst()
            .contains(
                new ReviewFirst.Flagged(
                    "vendor/lib", "submodule pointer none -> " + other.substring(0, 12))),
        plan.reviewFirst().toString());
  }
}
