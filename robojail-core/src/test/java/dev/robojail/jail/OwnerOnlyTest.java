package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.Await;
import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.ffm.Syscalls;
import dev.robojail.sandbox.Stdio;
import dev.robojail.testkit.TestRepo;
import dev.robojail.testkit.TestWorld;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What depends on the uid robojail runs as, on the real file system: run as root, and again as
 * nobody by the as-nobody pass, where a mode really keeps its owner out.
 */
@NeedsUserNamespaces
class OwnerOnlyTest {
  @TempDir Path tmp;
  TestWorld world;
  TestRepo repo;
  Jails jails;

  @BeforeEach
  void setUp() {
    world = TestWorld.in(tmp);
    repo = world.repo("repo");
    jails = world.jails();
  }

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(
        Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
  }

  private static int owner(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
  }

  @Test
  void everyDirectoryRobojailCreatesIsItsOwnersAloneAndSoIsTheStateFile() throws Exception {
    JailState jail = jails.create("p", repo.dir);
    Dirs dirs = world.dirs();
    Path state = dirs.stateFile().getParent();
    Path data = dirs.dataDir();
    // A running jail has its PID 1's record under running/: made once the jail is running.
    CompletableFuture<Integer> running =
        CompletableFuture.supplyAsync(
            () -> jails.run("p", List.of("sleep", "30"), false, b -> b.stdin(Stdio.discard())));
    Await.until(
        "the running jail's record", () -> Files.exists(state.resolve("running").resolve("p")));
    // XDG_STATE_HOME and XDG_DATA_HOME did not exist either: robojail made them too.
    for (Path dir :
        List.of(
            state.getParent(),
            state,
            state.resolve("running"),
            data.getParent(),
            data,
            data.resolve("jails"),
            data.resolve("gitdirs"),
            data.resolve("checkout-index"))) {
      assertEquals("rwx------", mode(dir), dir.toString());
      assertEquals(Syscalls.getuid(), owner(dir), dir.toString());
    }
    assertEquals("rw-------", mode(dirs.stateFile()));
    assertEquals(Syscalls.getuid(), owner(jail.worktree()));
    jails.destroyJail("p", true);
    assertEquals(137, running.get(30, TimeUnit.SECONDS)); // SIGKILL to the jail's PID 1
  }

  @Test
  void aJailWhoseWorktreeHasDirectoriesItLockedIsDestroyedWithEverythingInThem() throws Exception {
    JailState jail = jails.create("p", repo.dir);
    int code =
        jails.run(
            "p",
            List.of(
                "sh",
                "-c",
                "set -e; mkdir -p locked/deep/er readonly; echo x > locked/deep/er/f;"
                    + " echo y > readonly/f; chmod 000 locked/deep/er locked/deep locked;"
                    + " chmod 555 readonly"),
            false,
            b -> b.stdin(Stdio.discard()));
    assertEquals(0, code);
    Path wt = jail.worktree();
    assertEquals("---------", mode(wt.resolve("locked")));
    assertEquals("r-xr-xr-x", mode(wt.resolve("readonly")));

    // Without force: refused (uncommitted changes, or a worktree git cannot fully read), with
    // nothing lost.
    JailException refused = assertThrows(JailException.class, () -> jails.destroyJail("p", false));
    assertTrue(refused.getMessage().contains("p"), refused.getMessage());
    assertTrue(Files.exists(wt.resolve("locked"), LinkOption.NOFOLLOW_LINKS));

    jails.destroyJail("p", true);
    assertFalse(Files.exists(wt, LinkOption.NOFOLLOW_LINKS), "the worktree is gone");
    assertFalse(Files.exists(jail.gitDir(), LinkOption.NOFOLLOW_LINKS), "its git dir is gone");
    assertTrue(jails.list().isEmpty());
  }
}
