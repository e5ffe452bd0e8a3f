package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A spec rebuilt from a built one keeps the bind sources that build resolved, and resolves only
 * what is new: by identity, never by an equal value, and never for another spec.
 */
class RebuiltSpecTest {
  private static Mount.Bind only(Sandbox s) {
    return s.mounts().stream()
        .filter(m -> m instanceof Mount.Bind)
        .map(m -> (Mount.Bind) m)
        .reduce((a, b) -> b)
        .orElseThrow();
  }

  @Test
  void aRebuildKeepsWhatTheFirstBuildResolved(@TempDir Path dir) throws Exception {
    Path a = Files.createDirectory(dir.resolve("a"));
    Path b = Files.writeString(dir.resolve("b"), "a file");
    Path link = Files.createSymbolicLink(dir.resolve("link"), a);
    Sandbox first = Sandbox.builder().command("true").readOnlyBind(link, "/x").build();
    assertEquals(a.toRealPath(), only(first).source());
    assertTrue(only(first).directory());
    Files.delete(link);
    Files.createSymbolicLink(link, b);
    Sandbox rebuilt = first.toBuilder().command("false").build();
    assertEquals(a.toRealPath(), only(rebuilt).source());
    assertTrue(only(rebuilt).directory());
    // a spec of its own resolves the link as it is now
    Sandbox fresh = Sandbox.builder().command("true").readOnlyBind(link, "/x").build();
    assertEquals(b.toRealPath(), only(fresh).source());
    assertFalse(only(fresh).directory());
    // and so does a bind the rebuild adds
    Sandbox added = first.toBuilder().readOnlyBind(link, "/y").build();
    assertEquals(b.toRealPath(), only(added).source());
    assertFalse(only(added).directory());
  }

  @Test
  void anEqualMountThatIsNotTheBuiltOneIsCheckedAgain(@TempDir Path dir) throws Exception {
    Path a = Files.createDirectory(dir.resolve("a"));
    Sandbox first = Sandbox.builder().command("true").readOnlyBind(a, "/x").build();
    Mount.Bind built = only(first);
    Files.delete(a);
    // the built mount itself is kept (the child's open of it would fail) ...
    assertEquals(built, only(first.toBuilder().build()));
    // ... but a copy of it, equal in every field, is a new mount and checked as one
    Mount.Bind copy = new Mount.Bind(built.source(), built.target(), true, true);
    assertEquals(built, copy);
    SandboxException.InvalidSpec e =
        assertThrows(
            SandboxException.InvalidSpec.class,
            () -> Sandbox.builder().command("true").mount(copy).build());
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    Sandbox.Builder rebuild = first.toBuilder();
    rebuild.mount(copy);
    e = assertThrows(SandboxException.InvalidSpec.class, rebuild::build);
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
  }
}
