package dev.robojail.sandbox;

import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.PosixFileAttributeView;
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
    try (DirectoryStream<Path> top = Files.newDirectoryStream(etc)) {
      if (!(top instanceof SecureDirectoryStream<Path> secure)) {
        throw new SandboxException.InvalidSpec("cannot read " + etc + " relative to its directory");
      }
      walk(secure, etc, target, covers);
    } catch (IOException | DirectoryIteratorException e) {
      throw new SandboxException.InvalidSpec("cannot read " + etc + ": " + e);
    }
    return covers;
  }

  // Run at every start, over a thousand entries or so: each is stat'ed once, relative to its
  // directory's descriptor, and a directory is opened without following a link. (Files.walkFileTree
  // hands its visitor plain basic attributes, so the modes cost a second stat of each entry.)
  private static void walk(
      SecureDirectoryStream<Path> dir, Path path, String target, List<Mount.Cover> covers) {
    for (Path entry : dir) {
      Path name = entry.getFileName();
      String inside = target + "/" + name;
      PosixFileAttributes attrs;
      try {
        attrs =
            dir.getFileAttributeView(name, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .readAttributes();
      } catch (NoSuchFileException e) {
        continue; // gone since it was listed: nothing to show, so nothing to cover
      } catch (IOException e) {
        coverUnreadable(path.resolve(name), inside, covers);
        continue;
      }
      Set<PosixFilePermission> mode = attrs.permissions();
      if (attrs.isSymbolicLink()) {
        continue;
      }
      if (attrs.isDirectory()) {
        if (!mode.containsAll(READABLE_DIR)) {
          covers.add(new Mount.Cover(inside, true));
          continue;
        }
        try (SecureDirectoryStream<Path> sub =
            dir.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS)) {
          walk(sub, path.resolve(name), inside, covers);
        } catch (NoSuchFileException e) {
          // gone since it was listed
        } catch (IOException e) {
          coverUnreadable(path.resolve(name), inside, covers);
        } catch (DirectoryIteratorException e) {
          // Not read to the end: what was not seen is covered with it.
          covers.add(new Mount.Cover(inside, true));
        }
      } else if (attrs.isOther() || !mode.contains(PosixFilePermission.OTHERS_READ)) {
        covers.add(new Mount.Cover(inside, false));
      }
    }
  }

  // Unreadable to the JVM (as an ordinary user): others cannot read it either, so it is covered.
  private static void coverUnreadable(Path host, String inside, List<Mount.Cover> covers) {
    if (Files.exists(host, LinkOption.NOFOLLOW_LINKS)) {
      covers.add(new Mount.Cover(inside, Files.isDirectory(host, LinkOption.NOFOLLOW_LINKS)));
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
