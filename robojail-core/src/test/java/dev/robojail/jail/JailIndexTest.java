package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.testkit.TestRepo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** robojail's own reader of a jail's index, against indexes real git wrote, in each version. */
class JailIndexTest {
  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(ints = {2, 3, 4})
  void readsWhatGitStagedInEachIndexVersion(int version) throws IOException {
    TestRepo repo = TestRepo.init(tmp.resolve("r"));
    repo.write("a/long/path/one.txt", "1\n").write("a/long/path/two.txt", "2\n");
    repo.write("tool.sh", "#!/bin/sh\n").commit("files");
    Files.setPosixFilePermissions(
        repo.dir.resolve("tool.sh"),
        java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.createSymbolicLink(repo.dir.resolve("link"), Path.of("a/long/path/one.txt"));
    repo.write("intent.txt", "later\n");
    repo.git("add", "tool.sh", "link");
    repo.git("add", "--intent-to-add", "intent.txt"); // an extended flag: version 3 at least
    repo.git("update-index", "--index-version", Integer.toString(version));
    Path index = repo.dir.resolve(".git/index");
    JailIndex read = JailIndex.read(index, false).orElseThrow();
    assertTrue(read.contains("a/long/path/two.txt"));
    assertTrue(read.matches("a/long/path/one.txt", repo.dir, false));
    assertTrue(read.matches("tool.sh", repo.dir, false), "mode 100755");
    assertTrue(read.matches("link", repo.dir, false), "a link's target is hashed, not followed");
    assertFalse(read.contains("intent.txt"), "intent-to-add is not staged");
    repo.write("a/long/path/one.txt", "changed\n");
    assertFalse(read.matches("a/long/path/one.txt", repo.dir, false));
  }

  @Test
  void whatIsNoIndexIsNoIndex() throws IOException {
    Path garbage = Files.write(tmp.resolve("index"), new byte[] {'D', 'I', 'R', 'C', 0, 0, 0, 9});
    assertEquals(Optional.empty(), JailIndex.read(garbage, false).map(i -> "read"));
    Path truncated =
        Files.write(tmp.resolve("t"), new byte[] {'D', 'I', 'R', 'C', 0, 0, 0, 2, 0, 0, 0, 5});
    assertEquals(Optional.empty(), JailIndex.read(truncated, false).map(i -> "read"));
    Files.createSymbolicLink(tmp.resolve("l"), truncated);
    assertEquals(Optional.empty(), JailIndex.read(tmp.resolve("l"), false).map(i -> "read"));
    assertEquals(Optional.empty(), JailIndex.read(tmp.resolve("missing"), false).map(i -> "read"));
  }
}
