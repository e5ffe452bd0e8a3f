package dev.robojail.sandbox;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.FileVisitor;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The host's {@code /etc} as a sandbox sees it: all of it, read-only, except what not every user of
 * the host may read.
 *
 * <p>The rule, checked on the host before the clone: walking down from {@code /etc} without
 * following symbolic links, the first entry on each path that others cannot read is covered, and
 * nothing below it is looked at: a directory others cannot both list and enter (no {@code o+r} or
 * no {@code o+x}), by an empty read-only directory; a file others cannot read (no {@code o+r}), by
 * an empty read-only file; and every socket, FIFO or device node, whatever its mode, since
 * connecting to or opening one is not reading it. Symbolic links are left as they are: inside they
 * resolve in the sandbox's own tree, where a covered entry is empty and the rest of the host is
 * absent. Hard links need nothing of their own: the mode belongs to the file.
 *
 * <p>This matters most for a sandbox of host root: with its uid mapped to itself, the host's root
 * owns those files inside too, so dropped capabilities alone would not keep it from reading {@code
 * /etc/shadow}.
 */
final class HostEtc {
  private static final Set<PosixFilePermission> READABLE_DIR =
      Set.of(PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_EXECUTE);

  private HostEtc() {}

  /**
   * The covers for a copy of {@code etc} (a real path) seen at {@code target}, in walk order, so
   * that a covered directory comes before anything that could be below it.
   */
  static List<Mount.Cover> covers(Path etc, String target) {
    List<Mount.Cover> covers = new ArrayList<>();
    try {
      Files.walkFileTree(
          etc,
          new FileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
              if (dir.equals(etc)) {
                return FileVisitResult.CONTINUE;
              }
              if (!othersCan(dir, attrs, READABLE_DIR)) {
                covers.add(new Mount.Cover(inside(dir), true));
                return FileVisitResult.SKIP_SUBTREE;
              }
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
              if (attrs.isSymbolicLink()) {
                return FileVisitResult.CONTINUE;
              }
              if (attrs.isOther()
                  || !othersCan(file, attrs, Set.of(PosixFilePermission.OTHERS_READ))) {
                covers.add(new Mount.Cover(inside(file), false));
              }
              return FileVisitResult.CONTINUE;
            }

            // Gone since it was listed: nothing to show, so nothing to cover. Unreadable to the
            // JVM (as an ordinary user): others cannot read it either, so it is covered.
            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
              if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                covers.add(
                    new Mount.Cover(
                        inside(file), Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)));
              }
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) {
              if (e != null && !dir.equals(etc)) {
                covers.add(new Mount.Cover(inside(dir), true));
              }
              return FileVisitResult.CONTINUE;
            }

            private String inside(Path p) {
              return target + "/" + etc.relativize(p);
            }
          });
    } catch (IOException e) {
      throw new SandboxException.InvalidSpec("cannot read " + etc + ": " + e);
    }
    return covers;
  }

  // The walk's own attributes are POSIX ones on Linux; reading them again would double the stats.
  private static boolean othersCan(
      Path p, BasicFileAttributes attrs, Set<PosixFilePermission> needed) {
    if (attrs instanceof PosixFileAttributes posix) {
      return posix.permissions().containsAll(needed);
    }
    try {
      PosixFileAttributes a =
          Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      return a.permissions().containsAll(needed);
    } catch (IOException e) {
      return false; // cannot tell: cover it
    }
  }

  /**
   * Where a file of the host's {@code /etc}, by name, is inside a sandbox whose {@code /etc} is the
   * host's: itself when it is a regular file, or where its symbolic links lead, read as they would
   * be inside, when they lead to a regular file of {@code /etc} or out of what {@code
   * minimalSystem} shows (such as {@code resolv.conf -> ../run/systemd/resolve/stub-resolv.conf}),
   * where the sandbox's root can hold a file of its own. Empty when it is missing, a directory, or
   * leads nowhere a file can go.
   */
  static Optional<String> placeOf(String name) {
    return placeOf(Path.of("/"), name);
  }

  /** {@link #placeOf(String)} on a host whose root is {@code root}. */
  static Optional<String> placeOf(Path root, String name) {
    String path = "/etc/" + name;
    for (int hops = 0; hops < 40; hops++) {
      Path host = root.resolve(path.substring(1));
      if (!path.startsWith("/etc/")) {
        return shownBySystem(path) ? Optional.empty() : Optional.of(path);
      }
      if (Files.isSymbolicLink(host)) {
        try {
          Path link = Files.readSymbolicLink(host);
          path = Path.of(path).resolveSibling(link).normalize().toString();
        } catch (IOException e) {
          return Optional.empty();
        }
      } else {
        return Files.isRegularFile(host, LinkOption.NOFOLLOW_LINKS)
            ? Optional.of(path)
            : Optional.empty();
      }
    }
    return Optional.empty();
  }

  /** Whether {@code minimalSystem} shows something of the host's, or its own mount, there. */
  private static boolean shownBySystem(String path) {
    for (String d :
        List.of(
            "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/proc", "/dev",
            "/tmp")) {
      if (path.equals(d) || path.startsWith(d + "/")) {
        return true;
      }
    }
    return path.equals("/");
  }
}
