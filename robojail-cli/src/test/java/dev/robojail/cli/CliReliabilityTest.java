package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.testkit.TestRepo;
import dev.robojail.testkit.TestWorld;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reliability commands and messages as a user meets them, in a process of their own. */
@Tag("namespace")
class CliReliabilityTest {
  @TempDir Path tmp;
  MainProcess robojail;
  Path repo;

  @BeforeEach
  void setUp() throws Exception {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
    robojail = new MainProcess(TestWorld.in(tmp));
    repo = Files.createDirectories(tmp.resolve("repo"));
    TestRepo.run(repo, "init", "-q");
    Files.writeString(repo.resolve("README"), "hello\n");
    TestRepo.run(repo, "add", ".");
    TestRepo.run(repo, "-c", "user.name=T", "-c", "user.email=t@t", "commit", "-q", "-m", "i");
  }

  private static void assertOneLine(Result r, int code, String words) {
    assertEquals(code, r.code(), r.toString());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().startsWith("robojail: ") && r.err().contains(words), r.err());
  }

  @Test
  void badRepositoriesAreRefusedInOneLine() throws Exception {
    assertOneLine(robojail.run("create", "--name", "j", "--repo", ""), 2, "empty path");
    assertOneLine(
        robojail.run("create", "--name", "j", "--repo", tmp.resolve("none").toString()),
        1,
        "does not exist");
    Path bare = tmp.resolve("bare.git");
    TestRepo.run(tmp, "init", "-q", "--bare", bare.toString());
    assertOneLine(
        robojail.run("create", "--name", "j", "--repo", bare.toString()), 1, "not supported");
    assertEquals("no jails\n", robojail.run("list").out());
  }

  @Test
  void withoutGitOnPathCommandsAndDoctorSaySo() throws Exception {
    Map<String, String> noGit = Map.of("PATH", Files.createDirectories(tmp.resolve("empty")) + "");
    assertOneLine(
        robojail.run(noGit, "create", "--name", "j", "--repo", repo.toString()),
        1,
        "git not found");
    Result doctor = robojail.run(noGit, "doctor");
    assertTrue(
        doctor.out().lines().anyMatch(l -> l.matches("git +FAIL +git not found.*")), doctor.out());
    assertTrue(
        robojail.run("doctor").out().lines().anyMatch(l -> l.matches("git +ok +git version.*")));
  }

  @Test
  void destroyForceSaysWhatItDiscardedAndListShowsStates() throws Exception {
    assertEquals(0, robojail.run("create", "--name", "j", "--repo", repo.toString()).code());
    Path wt = tmp.resolve("xdg/data/robojail/jails/j");
    Files.writeString(wt.resolve("new.txt"), "new\n");
    assertTrue(robojail.run("list").out().lines().anyMatch(l -> l.matches("j +stopped .*")));
    Result r = robojail.run("destroy", "j", "--force");
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().contains("discarded uncommitted changes to 1 file"), r.out());
  }

  @Test
  void aMovedRepositoryIsRelocatedAndACorruptStateIsRepaired() throws Exception {
    assertEquals(0, robojail.run("create", "--name", "j", "--repo", repo.toString()).code());
    Path wt = tmp.resolve("xdg/data/robojail/jails/j");
    Files.writeString(wt.resolve("work.txt"), "work\n");
    TestRepo.run(wt, "add", ".");
    TestRepo.run(wt, "-c", "user.name=J", "-c", "user.email=j@j", "commit", "-q", "-m", "work");
    Path moved = tmp.resolve("moved");
    Files.move(repo, moved);
    assertOneLine(robojail.run("destroy", "j", "--force"), 3, "relocate j --repo");
    assertOneLine(robojail.run("run", "j", "--", "true"), 125, "relocate j --repo");
    Result relocate = robojail.run("relocate", "j", "--repo", moved.toString());
    assertEquals(0, relocate.code(), relocate.toString());
    assertTrue(robojail.run("status", "j").out().contains("1 commits since base"));

    Path state = tmp.resolve("xdg/state/robojail/jails.json");
    Files.writeString(state, "");
    assertOneLine(robojail.run("list"), 3, "doctor --repair");
    Result repair = robojail.run("doctor", "--repair");
    assertEquals(0, repair.code(), repair.toString());
    assertTrue(repair.out().contains("restored jail j from its record"), repair.out());
    Result list = robojail.run("list");
    assertTrue(list.out().lines().anyMatch(l -> l.matches("j +stopped .*")), list.out());
    assertFalse(list.out().contains(repo.toString() + "\n"), "the record kept the new path");
    assertEquals(0, robojail.run("destroy", "j").code());
  }
}
