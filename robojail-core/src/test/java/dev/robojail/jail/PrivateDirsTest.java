package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.robojail.ffm.Syscalls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * robojail's own directories are private to their owner, so nothing planted in them is reachable.
 */
class PrivateDirsTest {
  @TempDir Path root;

  private JailLayout layout() {
    return new JailLayout(
        new Dirs(
            root.resolve("share/robojail"),
            root.resolve("config/robojail/config.toml"),
            root.resolve("state/robojail/jails.json")));
  }

  private List<Path> ours() {
    return List.of(
        root.resolve("share/robojail"),
        root.resolve("share/robojail/jails"),
        root.resolve("share/robojail/gitdirs"),
        root.resolve("share/robojail/checkout-index"),
        root.resolve("state/robojail"));
  }

  @Test
  void theDataAndStateDirectoriesAreMadeOwnerOnlyAndOlderOnesTightened() throws Exception {
    Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
    // an older robojail made them with the umask's 0755
    Files.createDirectories(root.resolve("share/robojail/jails"));
    Files.setPosixFilePermissions(
        root.resolve("share/robojail/jails"), PosixFilePermissions.fromString("rwxr-xr-x"));
    layout().makePrivate();
    for (Path dir : ours()) {
      assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    }
    // the user's own directories above them are not robojail's to change
    assertNotEquals(
        "rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(root)));
  }

  @Test
  void anotherUserCannotReachAFilePlantedInAWorktree() throws Exception {
    assumeTrue(Syscalls.getuid() == 0, "needs root to act as another user");
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs /usr/bin/python3");
    Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
    layout().makePrivate();
    Path planted = root.resolve("share/robojail/jails/j/planted");
    Files.createDirectories(planted.getParent());
    Files.writeString(planted, "#!/bin/sh\necho ran\n");
    Files.setPosixFilePermissions(planted, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(
        planted.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
    String py =
        "import os, sys\n"
            + "os.setgroups([]); os.setgid(65534); os.setuid(65534)\n"
            + "try:\n"
            + "    os.execv(sys.argv[1], [sys.argv[1]])\n"
            + "except OSError as e:\n"
            + "    print(e.errno)\n";
    Process p =
        new ProcessBuilder("/usr/bin/python3", "-c", py, planted.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), out);
    assertEquals("13\n", out, "EACCES: uid 65534 cannot even reach the file");
  }
}
