package dev.robojail.sandbox;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The covers of a host's {@code /etc} that the walk ahead ({@link HostAhead}) is still making, in a
 * builder that goes on with the rest of its spec meanwhile: they go in at their place among its
 * mounts when the spec is built, as if they had been added there. A mount that replaced others
 * since ({@link Sandbox.Builder#etcFile}) replaces covers at its target too, as it would have.
 */
final class PendingCovers {
  private final HostAhead.Work walk;
  private final Path real;
  private final String target;
  // Where in the builder's mounts the covers go, kept there as mounts before it are replaced.
  private int at;
  private final List<String> replaced = new ArrayList<>();

  PendingCovers(HostAhead.Work walk, Path real, String target, int at) {
    this.walk = walk;
    this.real = real;
    this.target = target;
    this.at = at;
  }

  /** Removes {@code mounts}' mounts at {@code target}, and the covers to come at it. */
  void replace(List<Mount> mounts, String target) {
    for (int i = mounts.size() - 1; i >= 0; i--) {
      if (mounts.get(i).target().equals(target)) {
        mounts.remove(i);
        if (i < at) {
          at--;
        }
      }
    }
    replaced.add(target);
  }

  /**
   * Puts the covers into {@code mounts}: the walk's, waited for, or when it failed or walked
   * something else a walk made now, whose failure is the caller's.
   */
  void splice(List<Mount> mounts) {
    List<Mount.Cover> covers = HostAhead.covers(walk, real, target);
    if (covers == null) {
      covers = HostEtc.covers(real, target);
    }
    List<Mount> kept = new ArrayList<>(covers.size());
    for (Mount.Cover c : covers) {
      if (!replaced.contains(c.target())) {
        kept.add(c);
      }
    }
    mounts.addAll(at, kept);
  }
}
