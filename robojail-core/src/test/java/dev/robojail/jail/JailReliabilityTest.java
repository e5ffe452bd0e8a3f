package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.testkit.TestRepo;
import dev.robojail.testkit.TestWorld;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No work is lost, no half-made jail passes for a whole one, nothing is left behind: one test per
 * way the reliability issue found to break that. Tagged {@code namespace} so that it runs again as
 * an unprivileged user, for whom permissions are real.
 */
@NeedsUserNamespaces
class JailReliabilityTest {
  @TempDir Path tmp;
  Path home;
  Dirs dirs;
  TestRepo repo;
  Jails jails;
  JailLayout layout;

  @BeforeEach
  void setUp() throws IOException {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
    home = Files.createDirectories(tmp.resolve("home"));
    dirs = TestWorld.in(tmp).dirs();
    layout = new JailLayout(dirs);
    repo = TestRepo.init(tmp.resolve("repo"));
    repo.write("README", "hello\n").write("src/a.txt", "a\n").commit("initial");
    jails = Jails.open(dirs, home);
  }

  private StateStore store() {
    return StateStore.of(dirs);
  }

  private static void commitInJail(Path worktree, String file) throws IOException {
    Files.writeString(worktree.resolve(file), "work\n");
    TestRepo.run(worktree, "add", "-A");
    TestRepo.run(worktree, "commit", "-q", "-m", "jail work on " + file);
  }

  private static boolean exists(Path p) {
    return Files.exists(p, LinkOption.NOFOLLOW_LINKS);
  }

  // A process record that matches no live process: what a killed robojail leaves.
  private static Supervisor dead() {
    Supervisor me = Supervisor.current();
    return new Supervisor(me.pid(), me.startTime() + 1, me.bootId());
  }

  @Test
  void destroyForceKeepsCommitsThatExistOnlyInTheJailAndRelocateBringsThemHome() throws Exception {
    JailState j = jails.create("j", repo.dir);
    commitInJail(j.worktree(), "only-here.txt");
    Path moved = tmp.resolve("moved-repo");
    Files.move(repo.dir, moved);

    JailConflictException e =
        assertThrows(JailConflictException.class, () -> jails.destroyJail("j", true));
    assertTrue(e.getMessage().contains("exist nowhere else"), e.getMessage());
    assertTrue(e.getMessage().contains("robojail relocate j --repo"), e.getMessage());
    assertTrue(exists(j.gitDir()) && exists(j.worktree()), "nothing deleted");
    assertEquals(JailState.Phase.READY, jails.get("j").phase(), "the refusal leaves it ready");

    assertThrows(JailException.class, () -> jails.relocate("j", tmp.resolve("nowhere")));
    assertThrows(InvalidInputException.class, () -> jails.relocate("j", Path.of("")));
    JailState relocated = jails.relocate("j", moved);
    assertEquals(moved.toRealPath(), relocated.repo().toRealPath());
    assertEquals(1, jails.status("j").commitsSinceBase());
    DestroyResult r = jails.destroyJail("j", false);
    assertTrue(r.branchKept());
    assertEquals(
        "jail work on only-here.txt\n",
        TestRepo.run(moved, "log", "-1", "--format=%s", r.branch()));
  }

  @Test
  void relocateRefusesALinkPlantedInTheJailsGitDirectory() throws Exception {
    JailState j = jails.create("j", repo.dir);
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    Path info = j.gitDir().resolve("objects/info");
    JailFiles.deleteTreeQuietly(info);
    Files.createSymbolicLink(info, outside);
    JailException e = assertThrows(JailException.class, () -> jails.relocate("j", repo.dir));
    assertTrue(e.getMessage().contains("is not a directory"), e.getMessage());
    try (Stream<Path> s = Files.list(outside)) {
      assertEquals(List.of(), s.toList(), "nothing written through the link");
    }
  }

  @Test
  void nothingStartsInAJailBeingDestroyedAndNothingDestroysAJailBeingCreated() {
    JailState j = jails.create("j", repo.dir);
    Supervisor me = Supervisor.current();
    store().put(j.inPhase(JailState.Phase.DESTROYING, me));
    JailConflictException run =
        assertThrows(JailConflictException.class, () -> jails.run("j", List.of("true")));
    assertTrue(run.getMessage().contains("is being destroyed"), run.getMessage());
    assertThrows(JailConflictException.class, () -> jails.status("j"));

    store().put(j.inPhase(JailState.Phase.CREATING, me));
    JailConflictException destroy =
        assertThrows(JailConflictException.class, () -> jails.destroyJail("j", true));
    assertTrue(destroy.getMessage().contains("is being created"), destroy.getMessage());
    assertTrue(exists(j.worktree()));
  }

  @Test
  void createRacingDestroyOfTheSameNameNeverReportsAJailThatIsNotThere() throws Exception {
    for (int round = 0; round < 4; round++) {
      CompletableFuture<Boolean> created =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  jails.create("x", repo.dir);
                  return true;
                } catch (JailException e) {
                  return false;
                }
              });
      CompletableFuture<Boolean> destroyed =
          CompletableFuture.supplyAsync(
              () -> {
                for (int i = 0; i < 200; i++) {
                  try {
                    jails.destroyJail("x", true);
                    return true;
                  } catch (JailException e) {
                    Thread.onSpinWait();
                  }
                }
                return false;
              });
      boolean c = created.get();
      boolean d = destroyed.get();
      var present = store().get(JailName.of("x"));
      // Created and not destroyed: whole and ready. Destroyed: gone entirely.
      assertEquals(c && !d, present.isPresent(), "created " + c + ", destroyed " + d);
      assertEquals(present.isPresent(), exists(layout.worktree(JailName.of("x"))));
      assertEquals(present.isPresent(), exists(layout.gitDir(JailName.of("x"))));
      present.ifPresent(x -> assertEquals(JailState.Phase.READY, x.phase()));
      if (present.isPresent()) {
        jails.destroyJail("x", true);
      }
    }
  }

  @Test
  void filesInAnUninitialisedSubmoduleAreUncommittedWork() throws Exception {
    String head = repo.git("rev-parse", "HEAD").strip();
    repo.git("update-index", "--add", "--cacheinfo", "160000," + head + ",sub");
    repo.git("commit", "-q", "-m", "a submodule");
    JailState j = jails.create("j", repo.dir);
    assertTrue(Files.isDirectory(j.worktree().resolve("sub")));
    assertFalse(jails.status("j").uncommittedChanges(), "an empty submodule dir is no change");

    Files.writeString(j.worktree().resolve("sub/notes.txt"), "written in the jail\n");
    JailStatus s = jails.status("j");
    assertTrue(s.uncommittedChanges(), s.toString());
    assertEquals(FileChange.Kind.NESTED_REPOSITORY, s.changes().getFirst().kind());
    assertThrows(JailConflictException.class, () -> jails.destroyJail("j", false));
    assertTrue(exists(j.worktree().resolve("sub/notes.txt")));
  }

  @Test
  void anInterruptedCreateIsRolledBackByTheNextCommand() throws Exception {
    JailState j = jails.create("j", repo.dir);
    // What a create killed during its checkout leaves: part of the files, the branch, the entry.
    store().put(j.inPhase(JailState.Phase.CREATING, dead()));
    Files.delete(j.worktree().resolve("README"));
    assertTrue(store().require(j.name()).isInterrupted());

    List<String> notes = jails.recover();
    assertEquals(List.of("rolled back the interrupted creation of jail j"), notes);
    assertTrue(store().get(j.name()).isEmpty());
    assertFalse(exists(j.worktree()) || exists(j.gitDir()) || exists(layout.record(j.name())));
    assertEquals("", repo.git("branch", "--list", "robojail/*"));
    // The name is free again.
    jails.create("j", repo.dir);
  }

  @Test
  void anInterruptedDestroyIsUndoneBeforeItDeletesAndFinishedAfter() throws Exception {
    JailState j = jails.create("j", repo.dir);
    Files.writeString(j.worktree().resolve("uncommitted.txt"), "kept\n");
    store().put(j.inPhase(JailState.Phase.DESTROYING, dead()));
    jails.recover();
    assertEquals(JailState.Phase.READY, store().require(j.name()).phase());
    assertTrue(exists(j.worktree().resolve("uncommitted.txt")));

    store().put(j.inPhase(JailState.Phase.REMOVING, dead()));
    assertEquals(List.of("finished the interrupted destroy of jail j"), jails.recover());
    assertTrue(store().get(j.name()).isEmpty());
    assertFalse(exists(j.worktree()) || exists(j.gitDir()));
  }

  @Test
  void importNeverMovesABranchTheUserHasCheckedOut() throws Exception {
    JailState j = jails.create("j", repo.dir);
    repo.git("checkout", "-q", j.branch());
    commitInJail(j.worktree(), "jail.txt");
    String head = repo.git("rev-parse", "HEAD").strip();

    JailConflictException e = assertThrows(JailConflictException.class, () -> jails.status("j"));
    assertTrue(e.getMessage().contains("is checked out in"), e.getMessage());
    assertTrue(e.getMessage().contains("switch"), e.getMessage());
    assertEquals(head, repo.git("rev-parse", "HEAD").strip(), "the user's HEAD did not move");
    assertThrows(JailException.class, () -> jails.destroyJail("j", true));
    assertTrue(exists(j.gitDir()), "the jail's commit is still there");

    repo.git("checkout", "-q", "main");
    assertEquals(1, jails.status("j").commitsSinceBase());
  }

  @Test
  void anEmptyStateFileIsCorruptAndDoctorRepairRebuildsIt() throws Exception {
    JailState j = jails.create("j", repo.dir);
    jails.create("k", repo.dir);
    Files.write(dirs.stateFile(), new byte[0]);
    StateException e = assertThrows(StateException.class, () -> jails.list());
    assertTrue(e.getMessage().contains("is corrupt: it is empty"), e.getMessage());
    assertTrue(e.getMessage().contains("robojail doctor --repair"), e.getMessage());

    List<String> report = jails.repair();
    assertTrue(report.getFirst().contains("is corrupt"), report.toString());
    assertTrue(report.contains("restored jail j from its record"), report.toString());
    assertTrue(report.contains("restored jail k from its record"), report.toString());
    assertEquals(List.of("j", "k"), jails.list().stream().map(x -> x.name().value()).toList());
    assertEquals(j.branch(), jails.get("j").branch());
    jails.destroyJail("j", false);
    // A directory with neither entry nor record is reported, and left alone.
    Path stray = Files.createDirectories(layout.worktrees().resolve("stray"));
    assertTrue(jails.repair().stream().anyMatch(l -> l.contains("belongs to no jail")));
    assertTrue(exists(stray));
  }

  @Test
  void aCorruptStateFileIsBackedUpOnceAndSaysSoPlainly() throws Exception {
    Files.createDirectories(dirs.stateFile().getParent());
    Files.writeString(dirs.stateFile(), "{\"version\": 1, \"jails\": {\"a\": {\"repo\": ");
    for (int i = 0; i < 3; i++) {
      StateException e = assertThrows(StateException.class, () -> jails.list());
      assertEquals(1, e.getMessage().lines().count());
      assertTrue(e.getMessage().contains("it is not valid JSON (line 1"), e.getMessage());
      assertFalse(e.getMessage().contains("jackson") || e.getMessage().contains("token"));
    }
    try (Stream<Path> s = Files.list(dirs.stateFile().getParent())) {
      assertEquals(1, s.filter(p -> p.getFileName().toString().contains(".corrupt-")).count());
    }
  }

  @Test
  void anUnreadableStateFileIsNotCalledCorrupt() throws Exception {
    assumeFalse(isRoot(), "root reads every file");
    jails.create("j", repo.dir);
    Files.setPosixFilePermissions(dirs.stateFile(), PosixFilePermissions.fromString("---------"));
    StateException e = assertThrows(StateException.class, () -> jails.list());
    assertTrue(e.getMessage().contains("permission denied"), e.getMessage());
    assertTrue(e.getMessage().contains("do not move it away"), e.getMessage());
    try (Stream<Path> s = Files.list(dirs.stateFile().getParent())) {
      assertEquals(0, s.filter(p -> p.getFileName().toString().contains(".corrupt-")).count());
    }
    Files.setPosixFilePermissions(dirs.stateFile(), PosixFilePermissions.fromString("rw-------"));
  }

  @Test
  void anUnwritableDataDirectorySaysPermissionDeniedAndWhere() throws Exception {
    assumeFalse(isRoot(), "root writes everywhere");
    Path data = Files.createDirectories(dirs.dataDir());
    Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("r-x------"));
    try {
      JailException e = assertThrows(JailException.class, () -> jails.create("j", repo.dir));
      assertTrue(e.getMessage().contains("permission denied"), e.getMessage());
      assertTrue(e.getMessage().contains(data.toString()), e.getMessage());
      assertTrue(jails.list().isEmpty(), "nothing left behind");
    } finally {
      Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
    }
  }

  @Test
  void scratchCopiesLiveUnderTheDataDirectoryAndStaleOnesAreSwept() throws Exception {
    JailState j = jails.create("j", repo.dir);
    commitInJail(j.worktree(), "c.txt");
    Path stale = Files.createDirectories(layout.temp().resolve("import-" + dead().pid() + "-1-x"));
    Files.writeString(stale.resolve("objects"), "a killed import's copy");
    Supervisor me = Supervisor.current();
    Path live =
        Files.createDirectories(
            layout.temp().resolve("status-" + me.pid() + "-" + me.startTime() + "-y"));
    jails.status("j");
    assertFalse(exists(stale), "swept");
    assertTrue(exists(live), "a live process's scratch is kept");
    try (Stream<Path> s = Files.list(layout.temp())) {
      assertEquals(List.of(live), s.toList(), "status and import cleaned up after themselves");
    }
  }

  @Test
  void badInputGetsOneClearLineAndTouchesNothing() throws Exception {
    Path bare = tmp.resolve("bare.git");
    TestRepo.run(tmp, "init", "-q", "--bare", bare.toString());
    assertMessage("bare repositories are not supported", bare);
    assertMessage("does not exist", tmp.resolve("no-such-dir"));
    InvalidInputException empty =
        assertThrows(InvalidInputException.class, () -> jails.create("j", Path.of("")));
    assertTrue(empty.getMessage().contains("empty path"), empty.getMessage());
    assertTrue(jails.list().isEmpty());

    GitException noGit =
        assertThrows(
            GitException.class, () -> new Git("robojail-no-such-git").run(repo.dir, "status"));
    assertTrue(noGit.getMessage().contains("git not found"), noGit.getMessage());
    assertTrue(new Git("robojail-no-such-git").version().isEmpty());
    assertTrue(new Git().version().orElseThrow().startsWith("git version"));
  }

  @Test
  void runAndStatusSayTheSameWhenTheWorktreeOrRepositoryIsGone() throws Exception {
    JailState j = jails.create("j", repo.dir);
    Files.move(repo.dir, tmp.resolve("elsewhere"));
    JailException run = assertThrows(JailException.class, () -> jails.run("j", List.of("true")));
    JailException status = assertThrows(JailException.class, () -> jails.status("j"));
    assertEquals(status.getMessage(), run.getMessage());
    assertTrue(run.getMessage().contains("robojail relocate j"), run.getMessage());
    Files.move(tmp.resolve("elsewhere"), repo.dir);
    JailFiles.deleteTreeQuietly(j.worktree());
    run = assertThrows(JailException.class, () -> jails.run("j", List.of("true")));
    status = assertThrows(JailException.class, () -> jails.status("j"));
    assertEquals(status.getMessage(), run.getMessage());
    assertTrue(run.getMessage().contains("is gone"), run.getMessage());
  }

  @Test
  void destroyForceSaysWhatItDiscarded() throws Exception {
    JailState j = jails.create("j", repo.dir);
    Files.writeString(j.worktree().resolve("one.txt"), "1\n");
    Files.writeString(j.worktree().resolve("two.txt"), "2\n");
    DestroyResult r = jails.destroyJail("j", true);
    assertEquals(List.of("uncommitted changes to 2 files"), r.discarded());
    JailState k = jails.create("k", repo.dir);
    assertEquals(List.of(), jails.destroyJail(k.name().value(), true).discarded());
  }

  private void assertMessage(String expected, Path repoPath) {
    JailException e = assertThrows(JailException.class, () -> jails.create("j", repoPath));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertEquals(1, e.getMessage().lines().count());
    assertTrue(jails.list().isEmpty(), "nothing touched");
  }

  private static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }
}
