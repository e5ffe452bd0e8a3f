package dev.robojail.sandbox;

import dev.robojail.ffm.Dirent64;
import dev.robojail.ffm.DirentBuffer;
import dev.robojail.ffm.Errno;
import dev.robojail.ffm.Rlimit;
import dev.robojail.ffm.Stat;
import dev.robojail.ffm.SyscallBatch;
import dev.robojail.ffm.SyscallException;
import dev.robojail.ffm.Syscalls;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
      try {
        walk.root(etc);
      } finally {
        walk.closeAll();
      }
      return walk.covers(etc);
    }
  }

  /**
   * One walk, with the kernel's own calls made in batches ({@link SyscallBatch}), one crossing into
   * native code for many calls: in cold code, a crossing costs several times what the kernel does
   * for a stat or an open, and a host's {@code /etc} has ~1,200 entries. Each directory is opened
   * relative to its parent's descriptor without following a link; an entry's type comes from its
   * {@code getdents64} record, so links, sockets, FIFOs and devices need no call of their own. The
   * entries of a directory are looked at in one batch: a stat per file, and per subdirectory an
   * open, a stat of the descriptor opened and its first two listings (the second finds the end of a
   * small directory); a directory's descriptor is closed in the next batch after its last use.
   * Names stay bytes, where the kernel put them, until one goes into a cover.
   */
  private static final class Walk {
    private final Arena arena;
    private final List<Level> levels = new ArrayList<>();
    private final MutableInts open = new MutableInts();
    private final MutableInts done = new MutableInts();
    private final int rootLength;
    // The soft limit on descriptors, and the most the look-ahead of all levels together may hold
    // open: a small fraction of it, so that the walk does not exhaust them (the JVM raises its
    // soft limit to the hard one, which is large, and then the widths are as wide as ever).
    private final long descriptorLimit;
    private final long lookAhead;
    private Path etc;
    private final List<byte[]> covered = new ArrayList<>();
    private final List<Boolean> directories = new ArrayList<>();
    // The path inside of the entry being looked at, as bytes: the target, then /name per level.
    private byte[] path = new byte[256];
    private int length;

    Walk(Arena arena, String target) {
      this.arena = arena;
      byte[] t = target.getBytes(StandardCharsets.UTF_8);
      ensure(t.length);
      System.arraycopy(t, 0, path, 0, t.length);
      this.length = t.length;
      this.rootLength = t.length;
      this.descriptorLimit = Syscalls.prlimit64(0, Rlimit.RLIMIT_NOFILE).soft();
      this.lookAhead = descriptorLimit < 0 ? Long.MAX_VALUE : descriptorLimit / 8;
    }

    void root(Path etc) {
      this.etc = etc;
      Level here = level(0);
      SyscallBatch b = here.batch;
      b.clear();
      int o = b.openat(Syscalls.AT_FDCWD, etc.toString(), DIRECTORY);
      b.getdents64Opened(o, here.first(0));
      b.getdents64Opened(o, here.second(0));
      b.run();
      if (b.result(o) < 0) {
        throw unreadable(etc, b.failure(o));
      }
      int fd = opened(b.result(o));
      for (int listing = o + 1; listing <= o + 2; listing++) {
        if (b.result(listing) < 0) {
          throw unreadable(etc, b.failure(listing));
        }
      }
      SyscallException e = directory(fd, 0, here.first(0), here.second(0));
      if (e != null) {
        throw unreadable(etc, e);
      }
    }

    private static SandboxException.InvalidSpec unreadable(Path etc, SyscallException e) {
      return new SandboxException.InvalidSpec("cannot read " + etc + ": " + e.getMessage());
    }

    /**
     * Looks at every entry of the open directory {@code fd} at {@code depth}, whose path is {@link
     * #path}: those {@code first} and {@code second} hold (when a batch listed them already), then
     * the rest. Returns the failure that kept it from being listed to the end, or null.
     */
    private SyscallException directory(int fd, int depth, DirentBuffer first, DirentBuffer second) {
      if (first != null) {
        if (first.length() == 0) {
          return null;
        }
        records(fd, depth, first);
        if (second.length() == 0) {
          return null;
        }
        records(fd, depth, second);
      }
      Level here = level(depth);
      DirentBuffer rest = here.rest();
      while (true) {
        SyscallBatch b = here.batch;
        b.clear();
        int g = b.getdents64(fd, rest);
        closes(b);
        b.run();
        if (b.result(g) < 0) {
          return b.failure(g);
        }
        if (rest.length() == 0) {
          return null;
        }
        records(fd, depth, rest);
      }
    }

    // The entries whose records buf holds, a batch at a time.
    private void records(int fd, int depth, DirentBuffer buf) {
      Level here = level(depth);
      Level below = level(depth + 1);
      SyscallBatch b = here.batch;
      int n = buf.length();
      for (int at = 0; at < n; ) {
        b.clear();
        int planned = 0;
        int subdirectories = 0;
        while (at < n && b.room() >= 4 && b.statRoom() >= 1 && subdirectories < below.width()) {
          int next = buf.next(at);
          if (!buf.isDotOrDotDot(at)) {
            int call;
            switch (buf.type(at)) {
              case Dirent64.DT_LNK -> call = NONE;
              case Dirent64.DT_DIR -> {
                call = b.openat(fd, buf, at, DIRECTORY);
                b.fstatOpened(call);
                b.getdents64Opened(call, below.first(subdirectories));
                b.getdents64Opened(call, below.second(subdirectories));
                here.slot[planned] = subdirectories++;
              }
              case Dirent64.DT_FIFO, Dirent64.DT_SOCK, Dirent64.DT_CHR, Dirent64.DT_BLK ->
                  call = SPECIAL;
              // A regular file, whose mode decides, or a file system that does not say.
              default -> call = b.fstatat(fd, buf, at, Syscalls.AT_SYMLINK_NOFOLLOW);
            }
            if (call != NONE) {
              here.at[planned] = at;
              here.call[planned++] = call;
            }
          }
          at = next;
        }
        closes(b);
        b.run();
        // Every descriptor opened is the walk's at once, so that none is left open by a failure.
        for (int i = 0; i < planned; i++) {
          int c = here.call[i];
          if (c >= 0 && buf.type(here.at[i]) == Dirent64.DT_DIR && b.result(c) >= 0) {
            opened(b.result(c));
          }
        }
        for (int i = 0; i < planned; i++) {
          int c = here.call[i];
          int entry = here.at[i];
          if (c == SPECIAL) {
            cover(buf, entry, false);
          } else if (buf.type(entry) == Dirent64.DT_DIR) {
            int s = here.slot[i];
            subdirectory(b, c, fd, depth, buf, entry, below.first(s), below.second(s));
          } else if (b.result(c) < 0) {
            if (-b.result(c) != Errno.ENOENT) { // gone since it was listed: nothing to cover
              cover(buf, entry, false); // unreadable to the JVM: others cannot read it either
            }
          } else {
            byMode(b.mode(c), fd, depth, buf, entry, true);
          }
        }
        retry(fd, depth, buf);
      }
    }

    private static boolean exhausted(long r) {
      return -r == Errno.EMFILE || -r == Errno.ENFILE;
    }

    // The subdirectories of this batch that could not be opened for want of a descriptor, each
    // opened on its own once every descriptor the walk is done with is closed; when even that
    // fails, the walk is refused rather than a readable directory covered.
    private void retry(int dirfd, int depth, DirentBuffer buf) {
      MutableInts later = level(depth).later;
      if (later.size() == 0) {
        return;
      }
      SyscallBatch b = level(depth + 1).batch;
      while (done.size() > 0) {
        b.clear();
        closes(b);
        b.run();
      }
      for (int i = 0; i < later.size(); i++) {
        subdirectory(dirfd, depth, buf, later.get(i), true);
      }
      later.clear();
    }

    /**
     * The subdirectory that call {@code o} of {@code b} opened (followed by a stat of what it
     * opened and, when {@code first} is not null, two listings into {@code first} and {@code
     * second}).
     */
    private void subdirectory(
        SyscallBatch b,
        int o,
        int dirfd,
        int depth,
        DirentBuffer buf,
        int at,
        DirentBuffer first,
        DirentBuffer second) {
      long r = b.result(o);
      if (r < 0) {
        if (exhausted(r)) {
          // No descriptor free, while the batch's look-ahead holds some: opened again on its own
          // once they are closed, never covered for it.
          level(depth).later.add(at);
        } else if (-r != Errno.ENOENT) {
          replaced(dirfd, depth, buf, at);
        }
        return;
      }
      int fd = (int) r;
      try {
        // The mode of the directory opened, not of what the name meant a moment earlier.
        if (b.result(o + 1) < 0
            || (b.mode(o + 1) & (OTHERS_READ | OTHERS_EXECUTE)) != (OTHERS_READ | OTHERS_EXECUTE)) {
          cover(buf, at, true);
          return;
        }
        if (first != null && (b.result(o + 2) < 0 || b.result(o + 3) < 0)) {
          cover(buf, at, true); // not listed: nothing in it was seen
          return;
        }
        int parent = enter(buf, at);
        int before = covered.size();
        try {
          if (directory(fd, depth + 1, first, second) != null) {
            // Not read to the end: what was not seen is covered with it.
            truncate(before);
            add(true);
          }
        } finally {
          length = parent;
        }
      } finally {
        done.add(fd);
      }
    }

    // An entry a stat found to be a directory (its record did not say, or it changed since), or
    // one to open again for want of a descriptor (retried): opened and looked at in a batch of its
    // own.
    private void subdirectory(int dirfd, int depth, DirentBuffer buf, int at, boolean retried) {
      SyscallBatch b = level(depth + 1).batch;
      b.clear();
      int o = b.openat(dirfd, buf, at, DIRECTORY);
      b.fstatOpened(o);
      closes(b);
      b.run();
      if (b.result(o) >= 0) {
        opened(b.result(o));
      } else if (retried && exhausted(b.result(o))) {
        // Spelled without SyscallBatch.failure, whose classes may not be loaded yet: loading a
        // class from a directory takes a descriptor.
        level(depth).later.clear();
        throw new SandboxException.InvalidSpec(
            "cannot read "
                + etc
                + ": too many open files ("
                + (-b.result(o) == Errno.EMFILE ? "EMFILE" : "ENFILE")
                + ") under a limit of "
                + descriptorLimit
                + " descriptors; raise it (ulimit -n)");
      }
      subdirectory(b, o, dirfd, depth, buf, at, null, null);
    }

    // A directory that could not be opened (unreadable to the JVM, or no longer a directory):
    // looked at once more, without following a link, and covered unless it is gone or a link.
    private void replaced(int dirfd, int depth, DirentBuffer buf, int at) {
      SyscallBatch b = level(depth + 1).batch;
      b.clear();
      int c = b.fstatat(dirfd, buf, at, Syscalls.AT_SYMLINK_NOFOLLOW);
      closes(b);
      b.run();
      if (b.result(c) < 0) {
        if (-b.result(c) != Errno.ENOENT) {
          cover(buf, at, true);
        }
        return;
      }
      byMode(b.mode(c), dirfd, depth, buf, at, false);
    }

    // By the type and mode a stat found; a directory is walked if it can be opened.
    private void byMode(
        int mode, int dirfd, int depth, DirentBuffer buf, int at, boolean openable) {
      switch (mode & Stat.S_IFMT) {
        case Stat.S_IFLNK -> {}
        case Stat.S_IFDIR -> {
          if (openable) {
            subdirectory(dirfd, depth, buf, at, false);
          } else {
            cover(buf, at, true);
          }
        }
        case Stat.S_IFREG -> {
          if ((mode & OTHERS_READ) == 0) {
            cover(buf, at, false);
          }
        }
        default -> cover(buf, at, false);
      }
    }

    private int opened(long fd) {
      open.add((int) fd);
      return (int) fd;
    }

    // The descriptors done with go into the batch about to run, as far as it has room.
    private void closes(SyscallBatch b) {
      while (done.size() > 0 && b.room() > 0) {
        int fd = done.pop();
        open.remove(fd);
        b.close(fd);
      }
    }

    /** Closes every descriptor the walk still has open. */
    void closeAll() {
      SyscallBatch b = level(0).batch;
      while (open.size() > 0) {
        b.clear();
        while (open.size() > 0 && b.room() > 0) {
          b.close(open.pop());
        }
        b.run();
      }
      done.clear();
    }

    private Level level(int depth) {
      while (levels.size() <= depth) {
        levels.add(new Level(arena, levels.size(), lookAhead));
      }
      return levels.get(depth);
    }

    private void cover(DirentBuffer buf, int at, boolean directory) {
      int parent = enter(buf, at);
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
    private int enter(DirentBuffer buf, int at) {
      int n = buf.nameLength(at);
      int old = length;
      ensure(old + 1 + n);
      path[old] = '/';
      buf.copyName(at, path, old + 1);
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

  // A record that needs no call of its own, or whose kind alone decides (it is covered).
  private static final int NONE = -1;
  private static final int SPECIAL = -2;

  /**
   * What the walk keeps per depth: the batch that looks at the entries of the directory being
   * walked there, the buffers its parent's batch listed the directories at this depth into (a few
   * per batch: descriptors and memory grow with the depth only slowly), and one for the rest of a
   * long listing. Made on first use.
   */
  private static final class Level {
    private static final int CALLS = 256;
    private static final int STATS = 128;
    private static final int FIRST = 2048;
    private static final int SECOND = 512;
    private static final int REST = 32 * 1024;

    final SyscallBatch batch;
    // Per planned entry of the batch: its record, its first call, its subdirectory slot.
    final int[] at = new int[CALLS];
    final int[] call = new int[CALLS];
    final int[] slot = new int[CALLS];
    // The buffers, in pages of their own that cost only as they are filled: the rest's, then a
    // first and a second listing per slot (the root's first has room for a whole /etc).
    private final MemorySegment pages;
    private final int firstSize;
    private final DirentBuffer[] first;
    private final DirentBuffer[] second;
    private DirentBuffer rest;

    // The subdirectories of the batch at this depth to open again on their own (entries of the
    // listing it looks at).
    final MutableInts later = new MutableInts();

    // Half the look-ahead at depth 1, a quarter at 2...: all levels together hold at most
    // lookAhead, and one descriptor a level deeper down. (A shift is bounded: Java takes its count
    // modulo the width, and 128 >> 32 is 128.)
    Level(Arena arena, int depth, long lookAhead) {
      this.batch = new SyscallBatch(arena, CALLS, STATS);
      int width =
          depth == 0
              ? 1
              : (int)
                  Math.min(
                      Math.max(2, 128L >> Math.min(depth, 63)),
                      Math.max(1, lookAhead >> Math.min(depth, 63)));
      this.firstSize = depth == 0 ? REST : FIRST;
      this.first = new DirentBuffer[width];
      this.second = new DirentBuffer[width];
      this.pages = DirentBuffer.pages(arena, REST + (long) width * (firstSize + SECOND));
    }

    int width() {
      return first.length;
    }

    DirentBuffer first(int i) {
      if (first[i] == null) {
        long offset = REST + (long) i * (firstSize + SECOND);
        first[i] = new DirentBuffer(pages.asSlice(offset, firstSize));
      }
      return first[i];
    }

    DirentBuffer second(int i) {
      if (second[i] == null) {
        long offset = REST + (long) i * (firstSize + SECOND) + firstSize;
        second[i] = new DirentBuffer(pages.asSlice(offset, SECOND));
      }
      return second[i];
    }

    DirentBuffer rest() {
      if (rest == null) {
        rest = new DirentBuffer(pages.asSlice(0, REST));
      }
      return rest;
    }
  }

  /** A list of ints, without a box per descriptor. */
  private static final class MutableInts {
    private int[] values = new int[16];
    private int size;

    int size() {
      return size;
    }

    void add(int v) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = v;
    }

    int pop() {
      return values[--size];
    }

    int get(int i) {
      return values[i];
    }

    void remove(int v) {
      for (int i = size - 1; i >= 0; i--) {
        if (values[i] == v) {
          values[i] = values[--size];
          return;
        }
      }
    }

    void clear() {
      size = 0;
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
