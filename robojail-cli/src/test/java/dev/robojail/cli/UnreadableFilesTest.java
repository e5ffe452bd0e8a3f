package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.robojail.jail.Dirs;
import dev.robojail.testkit.TestRepo;
import dev.robojail.testkit.TestWorld;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A config or state file robojail cannot read, or a state directory it cannot write, is one line
 * naming the file, with the documented exit code, and no stack trace. Nothing here needs user
 * namespaces; the tag is for the as-nobody pass, where a mode really keeps the owner out (root
 * reads and writes whatever the mode says).
 */
@Tag("namespace")
class UnreadableFilesTest {
  @TempDir Path tmp;
  TestWorld world;
  Dirs dirs;
  Path repo;

  @BeforeEach
  void setUp() {
    world = TestWorld.in(tmp);
    dirs = world.dirs();
    repo = world.repo("repo").dir;
  }

  private Result robojail(String... args) {
    return InProcess.run(world, args);
  }

  private static void assertOneLine(Result r, int code, String naming) {
    assertEquals(code, r.code(), r.out() + r.err());
    assertTrue(r.err().startsWith("robojail: "), r.err());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().contains(naming), r.err());
    assertFalse(r.err().contains("\tat "), r.err());
  }

  private static final String ROOT =
      "root reads and writes whatever the mode says; the as-nobody pass runs this";

  private static void chmod(Path p, String mode) throws IOException {
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
  }

  @Test
  void anUnreadableConfigFileIsOneLine() throws IOException {
    world.config("network_enabled = false\n");
    chmod(dirs.configFile(), "---------");
    assumeFalse(Files.isReadable(dirs.configFile()), ROOT);
    assertOneLine(robojail("list"), 2, dirs.configFile().toString());
  }

  @Test
  void aConfigFileThatIsADirectoryIsOneLine() throws IOException {
    Files.createDirectories(dirs.configFile());
    assertOneLine(robojail("list"), 2, dirs.configFile().toString());
  }

  @Test
  void anUnreadableStateFileIsOneLineAndTheJailIsStillThereOnceItIsReadable() throws IOException {
    assertEquals(0, robojail("create", "--name", "s", "--repo", repo.toString()).code());
    chmod(dirs.stateFile(), "---------");
    try {
      assumeFalse(Files.isReadable(dirs.stateFile()), ROOT);
      assertOneLine(robojail("list"), 3, dirs.stateFile().toString());
    } finally {
      chmod(dirs.stateFile(), "rw-------");
    }
    assertTrue(robojail("list").out().contains("s"), "nothing lost");
  }

  @Test
  void aStateDirectoryThatCannotBeWrittenIsOneLineAndLeavesNoJail() throws IOException {
    assertEquals(0, robojail("list").code());
    Path stateDir = dirs.stateFile().getParent();
    Files.createDirectories(stateDir);
    chmod(stateDir, "r-x------");
    try {
      assumeFalse(Files.isWritable(stateDir), ROOT);
      Result r = robojail("create", "--name", "w", "--repo", repo.toString());
      assertOneLine(r, 3, stateDir.toString());
    } finally {
      chmod(stateDir, "rwx------");
    }
    assertEquals("", TestRepo.run(repo, "branch", "--list", "robojail/*"), "no branch left behind");
  }
}
