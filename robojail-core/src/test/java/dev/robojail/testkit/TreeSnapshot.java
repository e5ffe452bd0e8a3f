package dev.robojail.testkit;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * A directory tree as a comparable value: for a test that something must not have changed a host
 * directory at all (a cache a jail saw through an overlay).
 */
public final class TreeSnapshot {
  private TreeSnapshot() {}

  /**
   * Every entry below {@code root}, links not followed: its type and mode, link count, owner, size,
   * modification and change times, a link's target, a file's SHA-256 and extended attributes.
   */
  public static Map<String, String> of(Path root) throws IOException {
    Map<String, String> m = new TreeMap<>();
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a)
              throws IOException {
            m.put(root.relativize(d) + "/", describe(d));
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
            m.put(root.relativize(f).toString(), describe(f));
            return FileVisitResult.CONTINUE;
          }
        });
    return m;
  }

  private static String describe(Path p) throws IOException {
    Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
    StringBuilder s =
        new StringBuilder()
            .append(Integer.toOctalString((Integer) a.get("mode")))
            .append(" nlink=")
            .append(a.get("nlink"))
            .append(" uid=")
            .append(a.get("uid"))
            .append(" size=")
            .append(a.get("size"))
            .append(" mtime=")
            .append(a.get("lastModifiedTime"))
            .append(" ctime=")
            .append(a.get("ctime"));
    if (Files.isSymbolicLink(p)) {
      s.append(" -> ").append(Files.readSymbolicLink(p));
    } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
      try {
        s.append(" sha256=")
            .append(
                HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
      } catch (NoSuchAlgorithmException e) {
        throw new AssertionError(e);
      }
      UserDefinedFileAttributeView x =
          Files.getFileAttributeView(p, UserDefinedFileAttributeView.class);
      if (x != null) {
        s.append(" xattrs=").append(x.list());
      }
    }
    return s.toString();
  }
}
