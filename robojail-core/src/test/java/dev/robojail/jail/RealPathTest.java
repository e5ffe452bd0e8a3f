package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link HiddenPaths#realPath} answers what {@code toRealPath} answers, or where that fails the
 * path made absolute and normal: over seeded trees of directories, files and links (relative,
 * absolute, dangling, in loops, to files) and paths through them with missing names, {@code .} and
 * {@code ..}.
 */
class RealPathTest {
  private static Path reference(Path p) {
    try {
      return p.toRealPath();
    } catch (IOException e) {
      return p.toAbsolutePath().normalize();
    }
  }

  static Stream<Long> seeds() {
    return new Random(20261202).longs(40).boxed();
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void everyPathResolvesAsToRealPathResolvesIt(long seed, @TempDir Path dir) throws IOException {
    Random r = new Random(seed);
    Path root = dir.toRealPath();
    List<Path> made = new ArrayList<>(List.of(root));
    String[] names = {"a", "b", "c", ".config", "d"};
    for (int i = 0; i < 30; i++) {
      Path parent = made.get(r.nextInt(made.size()));
      Path p = parent.resolve(names[r.nextInt(names.length)] + i % 3);
      if (Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) || !Files.isDirectory(parent)) {
        continue;
      }
      switch (r.nextInt(4)) {
        case 0, 1 -> Files.createDirectory(p);
        case 2 -> Files.writeString(p, "x");
        default -> {
          Path target = made.get(r.nextInt(made.size()));
          Path link =
              r.nextBoolean()
                  ? target
                  : r.nextBoolean()
                      ? parent.relativize(target)
                      : parent.resolve("missing" + r.nextInt(3));
          // a link to its own directory is ".", since an empty link cannot be made
          Files.createSymbolicLink(p, link.toString().isEmpty() ? Path.of(".") : link);
        }
      }
      made.add(p);
    }
    // a loop, and a link to a link
    Files.createSymbolicLink(root.resolve("loop1"), root.resolve("loop2"));
    Files.createSymbolicLink(root.resolve("loop2"), root.resolve("loop1"));
    made.add(root.resolve("loop1"));
    String[] steps = {"a0", "b1", "c2", ".config0", "d1", ".", "..", "gone", "loop1"};
    for (int i = 0; i < 200; i++) {
      Path p = made.get(r.nextInt(made.size()));
      for (int n = r.nextInt(4); n > 0; n--) {
        p = p.resolve(steps[r.nextInt(steps.length)]);
      }
      assertEquals(reference(p), HiddenPaths.realPath(p), p.toString());
    }
  }

  @Test
  void aRelativePathResolvesFromTheWorkingDirectory() {
    for (Path p : List.of(Path.of("target", "no-such-dir", "x"), Path.of(""), Path.of("target"))) {
      assertEquals(reference(p), HiddenPaths.realPath(p), p.toString());
    }
  }

  @Test
  void aLinkMadeLaterIsFollowed(@TempDir Path dir) throws IOException {
    Path home = Files.createDirectory(dir.resolve("home"));
    Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
    Path ssh = home.resolve(".ssh");
    assertEquals(ssh.toAbsolutePath().normalize(), HiddenPaths.realPath(ssh));
    Files.createSymbolicLink(ssh, elsewhere);
    assertEquals(elsewhere.toRealPath(), HiddenPaths.realPath(ssh));
    // a name missing beneath the link has no real path: made absolute, as given
    assertEquals(ssh.resolve("id").toAbsolutePath(), HiddenPaths.realPath(ssh.resolve("id")));
    Files.writeString(elsewhere.resolve("id"), "key");
    assertEquals(elsewhere.toRealPath().resolve("id"), HiddenPaths.realPath(ssh.resolve("id")));
  }
}
