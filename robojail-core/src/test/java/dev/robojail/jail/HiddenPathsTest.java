package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileVisitResult;
import java.nio.file.FileVisitor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hard-link check of hidden paths. Root reads every directory whatever its mode, so the
 * unreadable directory is a failure injected into the walk here; {@code
 * CliTest.InJail.anUnreadableDirectoryInAHiddenPathRefusesTheRun} makes a real one where the test
 * does not run as root.
 */
class HiddenPathsTest {
  @TempDir Path tmp;
  Path secrets;
  Path locked;
  Path shared;
  HiddenPaths hidden;

  @BeforeEach
  void setUp() throws IOException {
    secrets = Files.createDirectories(tmp.resolve("home/.ssh")).toRealPath();
    locked = Files.createDirectories(secrets.resolve("locked"));
    Files.writeString(secrets.resolve("id_plain"), "secret");
    shared = Files.createDirectories(tmp.resolve("shared")).toRealPath();
    hidden = HiddenPaths.of(List.of(secrets));
  }

  /** Files.walkFileTree, except that {@code unreadable} fails as a directory without r-x does. */
  static HiddenPaths.Walker failingAt(Path unreadable, List<Path> visited) {
    return (start, visitor) ->
        Files.walkFileTree(
            start,
            new FileVisitor<Path>() {
              @Override
              public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs)
                  throws IOException {
                visited.add(d);
                if (d.equals(unreadable)) {
                  FileVisitResult r =
                      visitor.visitFileFailed(d, new AccessDeniedException(d.toString()));
                  return r == FileVisitResult.CONTINUE ? FileVisitResult.SKIP_SUBTREE : r;
                }
                return visitor.preVisitDirectory(d, attrs);
              }

              @Override
              public FileVisitResult visitFile(Path f, BasicFileAttributes attrs)
                  throws IOException {
                visited.add(f);
                return visitor.visitFile(f, attrs);
              }

              @Override
              public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
                return visitor.visitFileFailed(f, e);
              }

              @Override
              public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                return visitor.postVisitDirectory(d, e);
              }
            });
  }

  @Test
  void aHiddenFileWithAnotherLinkBesideABindIsRefused() throws IOException {
    assertDoesNotThrow(() -> hidden.refuseHardLinks(List.of(shared)));
    Files.createLink(shared.resolve("innocent"), secrets.resolve("id_plain"));
    JailException e =
        assertThrows(JailException.class, () -> hidden.refuseHardLinks(List.of(shared)));
    assertTrue(e.getMessage().contains("has 2 hard links"), e.getMessage());
  }

  @Test
  void aDirectoryTheScanCannotReadRefusesTheRunAndSaysWhich() throws IOException {
    // What the scan cannot see may be another name of something bound: here it is.
    Path key = Files.writeString(locked.resolve("id_linked"), "secret");
    Files.createLink(shared.resolve("innocent"), key);
    List<Path> visited = new ArrayList<>();
    JailException e =
        assertThrows(
            JailException.class,
            () -> hidden.refuseHardLinks(List.of(shared), failingAt(locked, visited)));
    assertTrue(visited.contains(locked), "the injected failure was never reached: " + visited);
    assertEquals(
        "cannot check the hidden path "
            + secrets
            + " for hard links: "
            + locked
            + ": permission denied; make it readable, or remove it",
        e.getMessage());
  }

  @Test
  void anUnreadableDirectoryRefusesEvenWithNothingLinked() {
    // The failing walk alone is enough; without it the same tree passes.
    assertDoesNotThrow(() -> hidden.refuseHardLinks(List.of(shared)));
    List<Path> visited = new ArrayList<>();
    JailException e =
        assertThrows(
            JailException.class,
            () -> hidden.refuseHardLinks(List.of(shared), failingAt(locked, visited)));
    assertTrue(e.getMessage().contains(locked.toString()), e.getMessage());
    assertEquals(1, e.getMessage().lines().count());
  }

  @Test
  void aMissingHiddenPathIsNothingToCheck() {
    HiddenPaths none = HiddenPaths.of(List.of(tmp.resolve("no-such-dir")));
    assertDoesNotThrow(
        () ->
            none.refuseHardLinks(
                List.of(shared), failingAt(tmp.resolve("no-such-dir"), new ArrayList<>())));
  }
}
