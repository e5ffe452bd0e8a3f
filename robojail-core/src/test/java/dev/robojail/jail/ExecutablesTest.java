package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExecutablesTest {
  @TempDir Path tmp;

  private Path program(String dir, String name, String mode) throws IOException {
    Path p = Files.createDirectories(tmp.resolve(dir)).resolve(name);
    Files.writeString(p, "#!/bin/sh\n");
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
    return p;
  }

  @Test
  void onPathTakesTheFirstExecutableFileInAnAbsoluteEntry() throws IOException {
    program("a", "tool", "rw-r--r--");
    Files.createDirectories(tmp.resolve("b/tool"));
    Path c = program("c", "tool", "rwxr-xr-x");
    program("d", "tool", "rwxr-xr-x");
    String path = String.join(":", "", "relative", tmp + "/a", tmp + "/b", tmp + "/c", tmp + "/d");
    assertEquals(Optional.of(c), Executables.onPath("tool", path));
    assertEquals(Optional.empty(), Executables.onPath("tool", null));
    assertEquals(Optional.empty(), Executables.onPath("nope", path));
  }

  @Test
  void findResolvesHomePathsAndNamesLikeAShell() throws IOException {
    Path home = tmp.resolve("home");
    Path mine = program("home/bin", "mine", "rwxr-xr-x");
    Path onPath = program("c", "tool", "rwxr-xr-x");
    assertEquals(Optional.of(mine), Executables.find("~/bin/mine", home, null));
    assertEquals(Optional.of(mine), Executables.find(tmp + "/home/../home/bin/mine", home, null));
    assertEquals(Optional.of(onPath), Executables.find("tool", home, tmp + "/c"));
    assertTrue(Executables.find("tool", home, null).isEmpty());
    assertTrue(Executables.find("", home, tmp + "/c").isEmpty());
  }
}
