package dev.robojail.sandbox;

import dev.robojail.ffm.Dirent64;
import dev.robojail.ffm.Errno;
import dev.robojail.ffm.Stat;
import dev.robojail.ffm.SyscallException;
import dev.robojail.ffm.Syscalls;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

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
  private static final int OTHERS_READ = 04;
  private static final int OTHERS_EXECUTE = 01;
  private static final int DIRECTORY =
      Syscalls.O_RDONLY | Syscalls.O_DIRECTORY | Syscalls.O_NOFOLLOW | Syscalls.O_CLOEXEC;

  // Per level of the walk, since a directory's records stay in its buffer while its
  // subdirectories are read: the host's /etc fits a level in one or two getdents64 calls.
  private static final int RECORDS = 32 * 1024;

  private HostEtc() {}

  /**
   * The covers for a copy of {@code etc} (a real path) seen at {@code target}, in walk order, so
   * that a covered directory comes before anything that could be below it.
   *
   * <p>A cover's target is a string, which the setup program hands the kernel as UTF-8: an entry to
   * cover whose name is not UTF-8 cannot be named, so the nearest directory above it that can
   * (below {@code etc}) is covered instead, and when there is none the spec is refused.
   */
  static List<Mount.Cover> covers(Path etc, String target) {
    try (Arena arena = Arena.ofConfined()) {
      Walk walk = new Walk(arena, target);
      int fd;
      try {
        fd = Syscalls.openat(Syscalls.AT_FDCWD, etc.toString(), DIRECTORY, 0);
      } catch (SyscallException e) {
        throw new SandboxException.InvalidSpec("cannot read " + etc + ": " + e.getMessage());
      }
      try {
        walk.directory(fd, 0);
      } catch (SyscallException e) {
        throw new SandboxException.InvalidSpec("cannot read " + etc + ": " + e.getMessage());
      } finally {
        Syscalls.close(fd);
      }
      return walk.covers(etc);
    }
  }

  /**
   * One walk, with the kernel's own calls: each directory is opened relative to its parent's
   * descriptor without following a link and listed with {@code getdents64} into a buffer reused for
   * every directory at its depth; an entry's type comes from its record, so links, sockets, FIFOs
   * and devices need no system call of their own, and files and directories one each for their
   * modes. Names stay bytes, in place in the records, until one goes into a cover. (NIO's {@code
   * SecureDirectoryStream} made a {@code Path}, attributes, a permission set and, for links, an
   * exception per entry: about 16 ms of a {@code run}'s start-up, for ~1,200 entries.)
   */
  private static final class Walk {
    private final Arena arena;
    private final List<MemorySegment> buffers = new ArrayList<>();
    private final List<byte[]> records = new ArrayList<>();
    private final MemorySegment stat;
    private final int rootLength;
    private final List<byte[]> covered = new ArrayList<>();
    private final List<Boolean> directories = new ArrayList<>();
    // The path inside of the entry being looked at, as bytes: the target, then /name per level.
    private byte[] path = new byte[256];
    private int length;

    Walk(Arena arena, String target) {
      this.arena = arena;
      this.stat = arena.allocate(Stat.LAYOUT);
      byte[] t = target.getBytes(StandardCharsets.UTF_8);
      ensure(t.length);
      System.arraycopy(t, 0, path, 0, t.length);
      this.length = t.length;
      this.rootLength = t.length;
    }

    /** Looks at every entry of the open directory {@code fd}, whose path is {@link #path}. */
    void directory(int fd, int depth) {
      if (buffers.size() == depth) {
        buffers.add(arena.allocate(RECORDS, 8));
        records.add(new byte[RECORDS]);
      }
      MemorySegment buffer = buffers.get(depth);
      byte[] copy = records.get(depth);
      for (int n = Syscalls.getdents64(fd, buffer); n > 0; n = Syscalls.getdents64(fd, buffer)) {
        // Read as plain bytes: an access to native memory per field costs more, in cold code,
        // than one copy of the lot.
        MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, 0, copy, 0, n);
        for (int at = 0, next; at < n; at = next) {
          next = at + Dirent64.reclen(copy, at);
          if (next <= at + Dirent64.NAME || next > n) { // a record that would stall the walk
            throw new IllegalStateException("getdents64 filled a record of a bad length");
          }
          if (!Dirent64.isDotOrDotDot(copy, at)) {
            entry(fd, depth, at);
          }
        }
      }
    }

    // The entry at offset at of the records of the directory at depth, open as dirfd.
    private void entry(int dirfd, int depth, int at) {
      switch (Dirent64.type(records.get(depth), at)) {
        case Dirent64.DT_LNK -> {}
        case Dirent64.DT_DIR -> subdirectory(dirfd, depth, at);
        case Dirent64.DT_FIFO, Dirent64.DT_SOCK, Dirent64.DT_CHR, Dirent64.DT_BLK ->
            cover(depth, at, false);
        default -> {
          // A regular file, whose mode decides, or a file system that does not say (DT_UNKNOWN).
          int mode;
          try {
            mode = Syscalls.fstatat(dirfd, name(depth, at), stat, Syscalls.AT_SYMLINK_NOFOLLOW);
          } catch (SyscallException e) {
            if (e.errno() != Errno.ENOENT) { // gone since it was listed: nothing to cover
              cover(depth, at, false); // unreadable to the JVM: others cannot read it either
            }
            return;
          }
          byMode(mode, dirfd, depth, at, true);
        }
      }
    }

    // By the type and mode a stat found; a directory is walked if it can be opened.
    private void byMode(int mode, int dirfd, int depth, int at, boolean openable) {
      switch (mode & Stat.S_IFMT) {
        case Stat.S_IFLNK -> {}
        case Stat.S_IFDIR -> {
          if (openable) {
            subdirectory(dirfd, depth, at);
          } else {
            cover(depth, at, true);
          }
        }
        case Stat.S_IFREG -> {
          if ((mode & OTHERS_READ) == 0) {
            cover(depth, at, false);
          }
        }
        default -> cover(depth, at, false);
      }
    }

    private void subdirectory(int dirfd, int depth, int at) {
      int fd;
      try {
        fd = Syscalls.openat(dirfd, name(depth, at), DIRECTORY);
      } catch (SyscallException e) {
        if (e.errno() != Errno.ENOENT) {
          replaced(dirfd, depth, at);
        }
        return;
      }
      try {
        // The mode of the directory opened, not of what the name meant a moment earlier.
        int mode = Syscalls.fstat(fd, stat);
        if ((mode & (OTHERS_READ | OTHERS_EXECUTE)) != (OTHERS_READ | OTHERS_EXECUTE)) {
          cover(depth, at, true);
          return;
        }
        int parent = enter(depth, at);
        int before = covered.size();
        try {
          directory(fd, depth + 1);
        } catch (SyscallException e) {
          // Not read to the end: what was not seen is covered with it.
          truncate(before);
          add(true);
        } finally {
          length = parent;
        }
      } finally {
        Syscalls.close(fd);
      }
    }

    // A directory that could not be opened (unreadable to the JVM, or no longer a directory):
    // looked at once more, without following a link, and covered unless it is gone or a link.
    private void replaced(int dirfd, int depth, int at) {
      int mode;
      try {
        mode = Syscalls.fstatat(dirfd, name(depth, at), stat, Syscalls.AT_SYMLINK_NOFOLLOW);
      } catch (SyscallException e) {
        if (e.errno() != Errno.ENOENT) {
          cover(depth, at, true);
        }
        return;
      }
      byMode(mode, dirfd, depth, at, false);
    }

    // The entry's name where the kernel put it, with its NUL.
    private MemorySegment name(int depth, int at) {
      return buffers
          .get(depth)
          .asSlice(at + Dirent64.NAME, Dirent64.nameLength(records.get(depth), at) + 1);
    }

    private void cover(int depth, int at, boolean directory) {
      int parent = enter(depth, at);
      add(directory);
      length = parent;
    }

    private void add(boolean directory) {
      covered.add(Arrays.copyOf(path, length));
      directories.add(directory);
    }

    private void truncate(int size) {
      covered.subList(size, covered.size()).clear();
      directories.subList(size, directories.size()).clear();
    }

    /** Appends {@code /name} of the record at {@code at} to the path; returns its old length. */
    private int enter(int depth, int at) {
      byte[] r = records.get(depth);
      int n = Dirent64.nameLength(r, at);
      int old = length;
      ensure(old + 1 + n);
      path[old] = '/';
      System.arraycopy(r, at + Dirent64.NAME, path, old + 1, n);
      length = old + 1 + n;
      return old;
    }

    private void ensure(int size) {
      if (size > path.length) {
        path = Arrays.copyOf(path, Math.max(size, path.length * 2));
      }
    }

    /** The covers, each at a path the kernel can be given. */
    List<Mount.Cover> covers(Path etc) {
      CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder();
      List<Mount.Cover> covers = new ArrayList<>(covered.size());
      boolean raised = false;
      for (int i = 0; i < covered.size(); i++) {
        byte[] p = covered.get(i);
        String inside = decode(utf8, p, p.length);
        if (inside != null) {
          covers.add(new Mount.Cover(inside, directories.get(i)));
          continue;
        }
        String above = null;
        for (int end = p.length - 1; above == null && end > rootLength; end--) {
          if (p[end] == '/') {
            above = decode(utf8, p, end);
          }
        }
        if (above == null) {
          throw new SandboxException.InvalidSpec(
              "cannot hide "
                  + escaped(etc, p)
                  + " from the sandbox: others cannot read it, and its name is not UTF-8, which"
                  + " a mount needs; rename it");
        }
        covers.add(new Mount.Cover(above, true));
        raised = true;
      }
      return raised ? outermost(covers) : covers;
    }

    private static String decode(CharsetDecoder utf8, byte[] p, int end) {
      try {
        return utf8.decode(ByteBuffer.wrap(p, 0, end)).toString();
      } catch (CharacterCodingException e) {
        return null;
      }
    }

    private String escaped(Path etc, byte[] p) {
      StringBuilder b = new StringBuilder(etc.toString());
      for (int i = rootLength; i < p.length; i++) {
        int c = Byte.toUnsignedInt(p[i]);
        if (c < 0x20 || c >= 0x7f || c == '\\') {
          b.append("\\x")
              .append(Character.forDigit(c >> 4, 16))
              .append(Character.forDigit(c & 15, 16));
        } else {
          b.append((char) c);
        }
      }
      return b.toString();
    }

    // A directory covered in place of an entry below it hides the covers already made inside it.
    private static List<Mount.Cover> outermost(List<Mount.Cover> covers) {
      List<Mount.Cover> kept = new ArrayList<>();
      for (Mount.Cover c : covers) {
        boolean inside = false;
        for (Mount.Cover o : covers) {
          inside |= o.directory() && c.target().startsWith(o.target() + "/");
        }
        if (!inside && !kept.contains(c)) {
          kept.add(c);
        }
      }
      return kept;
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
