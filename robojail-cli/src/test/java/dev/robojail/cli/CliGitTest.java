package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.jail.Dirs;
import dev.robojail.jail.JailName;
import dev.robojail.testkit.TestRepo;
import dev.robojail.testkit.TestWorld;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code robojail merge}, and git inside a jail, end to end. */
@NeedsUserNamespaces
class CliGitTest {
  @TempDir Path tmp;
  TestWorld world;
  Path repo;
  Dirs dirs;

  @BeforeEach
  void setUp() {
    world = TestWorld.in(tmp);
    dirs = world.dirs();
    repo = world.repo("repo").dir;
    assertEquals(0, robojail("create", "--name", "g", "--repo", repo.toString()).code());
  }

  Result robojail(String... args) {
    return InProcess.run(world, args);
  }

  @Test
  void aCommitMadeInsideIsShownThenMerged() throws Exception {
    Result run =
        robojail(
            "run",
            "g",
            "--",
            "sh",
            "-c",
            "echo feature > feature.txt && git add feature.txt && git commit -q -m 'add feature'");
    assertEquals(0, run.code(), run.err());

    Result status = robojail("status", "g");
    assertTrue(status.out().contains("1 commits since base"), status.out());

    Result noTerminal = robojail("merge", "g");
    assertEquals(2, noTerminal.code());
    assertTrue(noTerminal.err().contains("add --yes"), noTerminal.err());
    assertTrue(noTerminal.out().contains("add feature"), noTerminal.out());
    assertFalse(Files.exists(repo.resolve("feature.txt")));

    Files.writeString(repo.resolve("README"), "dirty\n");
    Result dirty = robojail("merge", "g", "--yes");
    assertEquals(3, dirty.code());
    assertTrue(dirty.err().contains("uncommitted changes"), dirty.err());
    TestRepo.run(repo, "checkout", "--", "README");

    Result merged = robojail("merge", "g", "--yes");
    assertEquals(0, merged.code(), merged.err());
    assertTrue(merged.out().contains("merging 1 commit of robojail/g-"), merged.out());
    assertTrue(merged.out().contains("feature.txt | 1 +"), merged.out());
    assertTrue(merged.out().contains("merged into main"), merged.out());
    assertEquals("feature\n", Files.readString(repo.resolve("feature.txt")));

    Result again = robojail("merge", "g", "--yes");
    assertTrue(again.out().startsWith("nothing to merge"), again.out());

    Result destroyed = robojail("destroy", "g");
    assertEquals(0, destroyed.code(), destroyed.err());
    assertFalse(destroyed.out().contains("kept branch"), destroyed.out());
    assertFalse(Files.exists(dirs.jailDir(JailName.of("g"))));
  }
}
