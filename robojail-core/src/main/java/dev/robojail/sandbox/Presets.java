package dev.robojail.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Ready-made parts of a spec, kept apart from it: they look at the host when they are applied, and
 * only their result (plain mounts) goes into the spec.
 */
final class Presets {
  /**
   * Files of the host's {@code /etc} whose symbolic links may lead where a sandbox shows nothing
   * (systemd-resolved's {@code resolv.conf -> ../run/systemd/resolve/stub-resolv.conf}): the file
   * they lead to on the host is bound there, so they work inside as outside.
   */
  static final List<String> FOLLOWED = List.of("hosts", "resolv.conf");

  private Presets() {}

  /** {@code source} (a host {@code /etc}) read-only at {@code /etc}, without its secrets. */
  static Sandbox.Builder hostEtc(Sandbox.Builder b, Path source) {
    Path real;
    try {
      real = source.toRealPath();
    } catch (IOException e) {
      throw new SandboxException.InvalidSpec("cannot resolve " + source + ": " + e);
    }
    b.readOnlyBind(real, "/etc");
    // A walk started ahead is waited for only when the spec is built, so that the rest of its
    // making overlaps it too; without one, the walk is made here.
    HostAhead.Work ahead = HostAhead.claimWalk(source);
    if (ahead != null) {
      b.coversLater(ahead, real, "/etc");
    } else {
      HostEtc.covers(real, "/etc").forEach(b::mount);
    }
    return b;
  }

  /** See {@link Sandbox.Builder#etcFile(String, String, int)}. */
  static Sandbox.Builder etcFile(Sandbox.Builder b, String name, String content, int mode) {
    String place =
        HostEtc.placeOf(name)
            .orElseThrow(
                () ->
                    new SandboxException.InvalidSpec(
                        "cannot put a file at /etc/"
                            + name
                            + ": the host's is neither a file nor a link to where one can go"));
    return b.replace(new Mount.File(place, content.getBytes(StandardCharsets.UTF_8), mode));
  }

  /** See {@link Sandbox.Builder#minimalSystem()}. */
  static Sandbox.Builder minimalSystem(Sandbox.Builder b) {
    return minimalSystem(b, Path.of("/etc"));
  }

  /** {@link #minimalSystem(Sandbox.Builder)} with {@code etc} as the host's {@code /etc}. */
  static Sandbox.Builder minimalSystem(Sandbox.Builder b, Path etc) {
    return minimalSystem(b, Optional.of(etc));
  }

  /** See {@link Sandbox.Builder#minimalSystemToJoin()}. */
  static Sandbox.Builder minimalSystemToJoin(Sandbox.Builder b) {
    return minimalSystem(b, Optional.empty());
  }

  private static Sandbox.Builder minimalSystem(Sandbox.Builder b, Optional<Path> hostEtc) {
    b.readOnlyBind(Path.of("/usr"));
    for (String dir : Sandbox.SYSTEM_TOP_DIRS) {
      Path p = Path.of(dir);
      if (Files.isSymbolicLink(p)) {
        try {
          b.symlink(Files.readSymbolicLink(p).toString(), dir);
        } catch (IOException e) {
          throw new SandboxException.InvalidSpec("cannot read the link " + dir + ": " + e);
        }
      } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        b.readOnlyBind(p);
      }
    }
    if (hostEtc.isEmpty()) {
      HostAhead.dropCovers(); // made for this sandbox, which has no use for it: for no other
    } else {
      Path etc = hostEtc.get();
      hostEtc(b, etc);
      for (String name : etc.equals(Path.of("/etc")) ? FOLLOWED : List.<String>of()) {
        Path p = etc.resolve(name);
        Optional<String> place = HostEtc.placeOf(name).filter(at -> !at.startsWith("/etc/"));
        if (place.isPresent() && Files.exists(p)) {
          b.readOnlyBind(p, place.get());
        }
      }
    }
    b.proc("/proc");
    b.dev("/dev");
    return b.tmpfs("/tmp", 0, 01777);
  }
}
