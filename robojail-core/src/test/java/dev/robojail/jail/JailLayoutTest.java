package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class JailLayoutTest {
  private final Dirs dirs =
      new Dirs(
          Path.of("/data/robojail"),
          Path.of("/config/robojail/config.toml"),
          Path.of("/state/robojail/jails.json"));
  private final JailLayout layout = new JailLayout(dirs);
  private final JailName name = JailName.of("j");

  @Test
  void everyPathOfAJail() {
    assertEquals(Path.of("/data/robojail/jails"), layout.worktrees());
    assertEquals(Path.of("/data/robojail/jails/j"), layout.worktree(name));
    assertEquals(dirs.jailDir(name), layout.worktree(name));
    assertEquals(Path.of("/data/robojail/gitdirs"), layout.gitDirs());
    assertEquals(Path.of("/data/robojail/gitdirs/j.git"), layout.gitDir(name));
    assertEquals(Path.of("/data/robojail/checkout-index/j"), layout.checkoutIndex(name));
    assertEquals(Path.of("/state/robojail/running/j"), layout.initRecord(name));
  }

  @Test
  void aJailMadeBeforePrivateGitDirsHasNone() {
    assertTrue(layout.hasPrivateGitDir(jail(Path.of("/data/robojail/gitdirs/./j.git"))));
    assertFalse(layout.hasPrivateGitDir(jail(Path.of("/repo/.git/worktrees/j"))));
  }

  private JailState jail(Path gitDir) {
    return new JailState(
        name,
        Path.of("/repo"),
        "robojail/j-1",
        "0".repeat(40),
        layout.worktree(name),
        gitDir,
        Instant.EPOCH,
        List.of(),
        null);
  }
}
