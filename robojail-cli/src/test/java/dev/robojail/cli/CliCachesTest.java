package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.testkit.TestWorld;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code create} and {@code doctor} say, per kind of cache, whether it starts from the host's. */
class CliCachesTest {
  @TempDir Path tmp;
  TestWorld world;
  Path repo;

  @BeforeEach
  void setUp() throws IOException {
    world = TestWorld.in(tmp);
    repo = world.repo("repo").dir;
    Files.createDirectories(world.home().resolve(".m2/repository"));
  }

  @Test
  void createSaysCachesStartEmptyUnlessSeeded() {
    Result plain = InProcess.run(world, "create", "--name", "p", "--repo", repo.toString());
    assertEquals(0, plain.code(), plain.err());
    assertTrue(
        plain.out().contains("caches: each jail's own, empty at first; seed_caches = ["),
        plain.out());
    world.config("seed_caches = [\"maven\", \"go\"]\n");
    Result seeded = InProcess.run(world, "create", "--name", "s", "--repo", repo.toString());
    assertEquals(0, seeded.code(), seeded.err());
    assertTrue(
        seeded
            .out()
            .contains("caches: maven (~/.m2/repository): seeded from the host's, read-only"),
        seeded.out());
    assertTrue(seeded.out().contains("caches: go (~/go/pkg/mod): not on this host"), seeded.out());
    assertTrue(
        seeded.out().contains("caches: npm, pip, gradle, cargo: each jail's own"), seeded.out());
  }

  @Test
  @NeedsUserNamespaces
  void doctorSaysWhichCachesAreSeeded() throws Exception {
    world.config("seed_caches = [\"maven\"]\n");
    Result r = new MainProcess(world).run(Map.of(), "doctor");
    assertTrue(
        r.out()
            .lines()
            .anyMatch(l -> l.matches("caches +info +maven \\(~/.m2/repository\\): seeded .*")),
        r.out());
  }
}
