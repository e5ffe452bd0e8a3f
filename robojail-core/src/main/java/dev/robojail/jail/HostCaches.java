package dev.robojail.jail;

import dev.robojail.ffm.Procfs;
import dev.robojail.sandbox.Sandbox;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.SequencedMap;

/**
 * The package caches a jail's own can start from: the host's, read-only. Each kind in {@code
 * seed_caches} becomes an overlay at the cache's place in the jail's home whose lower layer is the
 * host's cache directory (that directory only, never its neighbours: {@code ~/.m2/settings.xml},
 * {@code ~/.cargo/credentials.toml}) and whose upper layer is the jail's own cache directory in its
 * home, where everything the jail writes goes. The kernel writes nothing to a lower layer; robojail
 * reads nothing of the upper one on the host (it only makes the directory, as every mount point in
 * the home, without following a link).
 *
 * <p>Where a cache cannot be seeded (no such cache on the host, a kernel before 6.13, which cannot
 * take overlay layers as descriptors, a hidden path in it) the jail has its own cache alone, as
 * without {@code seed_caches}, and {@link #notes} says why.
 */
final class HostCaches {
  /** The kinds, by name, with the cache's directory relative to the home, on both sides. */
  static final SequencedMap<String, String> KINDS = kinds();

  /** Linux 6.13 takes an overlay's layers as descriptors ({@code FSCONFIG_SET_FD}). */
  private static final int[] FD_LAYERS = {6, 13};

  private HostCaches() {}

  private static SequencedMap<String, String> kinds() {
    SequencedMap<String, String> k = new LinkedHashMap<>();
    k.put("maven", ".m2/repository");
    k.put("npm", ".npm/_cacache");
    k.put("pip", ".cache/pip");
    k.put("gradle", ".gradle/caches");
    k.put("cargo", ".cargo/registry");
    k.put("go", "go/pkg/mod");
    return java.util.Collections.unmodifiableSequencedMap(k);
  }

  /**
   * One cache that is seeded: its kind, the host's directory (a real path) and the jail's own
   * directory for it (in the jail's home), with the target inside.
   */
  record Seed(String kind, Path host, Path own, Path work, String target) {}

  /**
   * What the configured kinds come to for a jail: the seeds; a line for each kind; and of those,
   * the ones a run says, where seeding was asked for and cannot be had.
   */
  record Plan(List<Seed> seeds, List<String> notes, List<String> fallbacks) {}

  /**
   * The seeds for {@code kinds} of a jail whose own home is {@code jailHome} (seen inside at {@code
   * homeInside}), with {@code work} holding the overlays' work directories.
   */
  static Plan plan(
      List<String> kinds,
      Path home,
      Path jailHome,
      String homeInside,
      Path work,
      HiddenPaths hidden,
      Optional<String> kernelRelease) {
    List<Seed> seeds = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    List<String> fallbacks = new ArrayList<>();
    if (kinds.isEmpty()) {
      return new Plan(seeds, notes, fallbacks);
    }
    Optional<String> old = kernelRelease.filter(r -> !atLeast(r, FD_LAYERS));
    // The jail's home as its real path (robojail's own directory, which the jail cannot replace);
    // what lies inside it is the jail's, and is given as it is, for the child to open without
    // following a link.
    Path ownHome;
    try {
      ownHome = jailHome.toRealPath();
    } catch (IOException e) {
      ownHome = jailHome;
    }
    for (String kind : kinds) {
      String relative = KINDS.get(kind);
      Path host = home.resolve(relative);
      String shown = kind + " (~/" + relative + ")";
      if (!Files.isDirectory(host)) {
        notes.add(shown + ": not on this host; the jail's own cache starts empty");
        continue;
      }
      if (old.isPresent()) {
        fallbacks.add(
            shown
                + ": not seeded, the jail's own cache alone: kernel "
                + old.get()
                + " cannot take an overlay's layers as descriptors (Linux 6.13)");
        continue;
      }
      Path real;
      try {
        real = host.toRealPath();
      } catch (IOException e) {
        fallbacks.add(shown + ": not seeded: " + e.getMessage());
        continue;
      }
      Optional<Path> secret = hidden.overlapping(real);
      if (secret.isPresent()) {
        fallbacks.add(
            shown
                + ": not seeded: the hidden path "
                + secret.get()
                + " is in it, and an overlay cannot mask what lies inside it");
        continue;
      }
      String target = (homeInside.endsWith("/") ? homeInside : homeInside + "/") + relative;
      seeds.add(new Seed(kind, real, ownHome.resolve(relative), work.resolve(kind), target));
      notes.add(shown + ": seeded from the host's, read-only (an overlay)");
    }
    notes.addAll(fallbacks);
    return new Plan(List.copyOf(seeds), List.copyOf(notes), List.copyOf(fallbacks));
  }

  /**
   * Adds the seeds' overlays to {@code b}, after the home's bind they go into. The work directories
   * are made here, robojail's own; each own directory is made with the other mount points in the
   * home ({@link AgentHome#prepareMountPoints}).
   */
  static void mount(Sandbox.Builder b, List<Seed> seeds) {
    for (Seed s : seeds) {
      Path work;
      try {
        Files.createDirectories(s.work().getParent());
        if (!Files.isDirectory(s.work(), LinkOption.NOFOLLOW_LINKS)) {
          Files.createDirectory(s.work());
        }
        // The child opens each layer without following any link: robojail's own directory as its
        // real path (a data directory reached through a link, as ~/.local/share may be).
        work = s.work().toRealPath();
      } catch (IOException e) {
        throw new JailException(
            TerminalSafe.sanitizeLine("cannot make the overlay directory " + s.work() + ": " + e),
            e);
      }
      b.overlay(s.host(), s.own(), work, s.target());
    }
  }

  /** Whether {@code release} ({@code 6.18.44-arch1}) is at least {@code min} (major, minor). */
  static boolean atLeast(String release, int[] min) {
    String[] parts = release.split("[.-]", 3);
    try {
      int major = Integer.parseInt(parts[0]);
      int minor = parts.length > 1 ? Integer.parseInt(parts[1].replaceAll("\\D.*", "")) : 0;
      return major > min[0] || (major == min[0] && minor >= min[1]);
    } catch (NumberFormatException e) {
      return true; // an unknown form: the kernel itself will say
    }
  }

  /** This kernel's release, as {@code uname -r} prints it. */
  static Optional<String> kernelRelease() {
    return Procfs.sysctl("kernel/osrelease");
  }

  /** The lines for {@code create} and {@code doctor}: one per configured kind, one for the rest. */
  static List<String> describe(List<String> configured, Path home, HiddenPaths hidden) {
    if (configured.isEmpty()) {
      return List.of(
          "each jail's own, empty at first; seed_caches = [\"maven\", \"npm\", …] starts them"
              + " from yours, read-only");
    }
    List<String> lines =
        new ArrayList<>(
            plan(configured, home, home, home.toString(), home, hidden, kernelRelease()).notes());
    List<String> rest = KINDS.keySet().stream().filter(k -> !configured.contains(k)).toList();
    if (!rest.isEmpty()) {
      lines.add(String.join(", ", rest) + ": each jail's own, empty at first");
    }
    return lines;
  }
}
