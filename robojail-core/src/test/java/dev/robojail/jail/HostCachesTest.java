package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which host caches a jail's own start from, and the one line for each that does not. */
class HostCachesTest {
  @TempDir Path tmp;

  private HostCaches.Plan plan(List<String> kinds, String kernel, List<String> hidden)
      throws IOException {
    Path home = tmp.resolve("home").toRealPath();
    return HostCaches.plan(
        kinds,
        home,
        tmp.resolve("data/homes/j"),
        "/home/u",
        tmp.resolve("data/cache-work/j"),
        HiddenPaths.of(hidden.stream().map(home::resolve).toList()),
        Optional.of(kernel));
  }

  private void cache(String relative) throws IOException {
    Files.createDirectories(tmp.resolve("home").resolve(relative));
  }

  @Test
  void eachSeededCacheIsItsOwnDirectoryOnlyAtItsPlaceInTheHome() throws IOException {
    cache(".m2/repository");
    cache(".npm/_cacache");
    HostCaches.Plan p = plan(List.of("maven", "npm", "go"), "6.18.4-arch1-1", List.of());
    assertEquals(2, p.seeds().size());
    HostCaches.Seed m = p.seeds().getFirst();
    assertEquals(tmp.resolve("home/.m2/repository").toRealPath(), m.host());
    assertEquals(tmp.resolve("data/homes/j/.m2/repository"), m.own());
    assertEquals(tmp.resolve("data/cache-work/j/maven"), m.work());
    assertEquals("/home/u/.m2/repository", m.target());
    assertEquals("/home/u/.npm/_cacache", p.seeds().get(1).target());
    assertEquals(List.of(), p.fallbacks(), "a cache the host has not is no fallback");
    assertTrue(p.notes().stream().anyMatch(n -> n.startsWith("go (~/go/pkg/mod): not on")));
  }

  @Test
  void aKernelBefore613IsNotAskedAndSaysSo() throws IOException {
    cache(".m2/repository");
    HostCaches.Plan p = plan(List.of("maven"), "6.12.9", List.of());
    assertEquals(List.of(), p.seeds());
    assertEquals(1, p.fallbacks().size());
    assertTrue(p.fallbacks().getFirst().contains("kernel 6.12.9"), p.fallbacks().toString());
  }

  @Test
  void aHiddenPathInsideOrAroundTheCacheStopsItsSeeding() throws IOException {
    cache(".m2/repository/secret");
    cache(".cargo/registry");
    HostCaches.Plan p =
        plan(List.of("maven", "cargo"), "6.18", List.of(".m2/repository/secret", ".cargo"));
    assertEquals(List.of(), p.seeds());
    assertEquals(2, p.fallbacks().size(), p.fallbacks().toString());
    assertFalse(p.fallbacks().getFirst().contains("seeded from"));
  }

  @Test
  void nothingAskedNothingPlanned() throws IOException {
    cache(".m2/repository");
    HostCaches.Plan p = plan(List.of(), "6.18", List.of());
    assertEquals(List.of(), p.seeds());
    assertEquals(List.of(), p.notes());
  }

  @ParameterizedTest
  @CsvSource({
    "6.13,true",
    "6.13.0-rc1,true",
    "6.18.44-fc-v657,true",
    "7.0,true",
    "6.12.48+deb13-amd64,false",
    "5.15.0-91-generic,false",
    "6.8.0-1ubuntu,false",
    "odd,true"
  })
  void kernelReleasesAreReadAsUnameShowsThem(String release, boolean fdLayers) {
    assertEquals(fdLayers, HostCaches.atLeast(release, new int[] {6, 13}));
  }
}
