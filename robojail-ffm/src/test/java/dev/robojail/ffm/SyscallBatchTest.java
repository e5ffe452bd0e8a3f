package dev.robojail.ffm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Many system calls through one downcall ({@code batch-x86_64.s}): each result as the call alone
 * would have had it, a failure that stops nothing, a call on a failed call's descriptor never made,
 * and no name handed to the kernel that Java has not bounded.
 */
class SyscallBatchTest {
  private static final int DIRECTORY =
      Syscalls.O_RDONLY | Syscalls.O_DIRECTORY | Syscalls.O_NOFOLLOW | Syscalls.O_CLOEXEC;

  @TempDir Path dir;

  // Each name of the listing in buf (. and .. left out) to its record's offset.
  private static Map<String, Integer> names(DirentBuffer buf) {
    Map<String, Integer> names = new TreeMap<>();
    for (int at = 0; at < buf.length(); at = buf.next(at)) {
      if (!buf.isDotOrDotDot(at)) {
        byte[] name = new byte[buf.nameLength(at)];
        buf.copyName(at, name, 0);
        names.put(new String(name, StandardCharsets.ISO_8859_1), at);
      }
    }
    return names;
  }

  // Opens dir and lists it into list in one run of b; returns the descriptor, the caller's to
  // close.
  private int listed(SyscallBatch b, DirentBuffer list) {
    int open = b.openat(Syscalls.AT_FDCWD, dir.toString(), DIRECTORY);
    b.getdents64Opened(open, list);
    b.run();
    assertTrue(b.result(open) >= 0, "opened");
    return (int) b.result(open);
  }

  @Test
  void resultsAreEachCallsOwnAndAFailureStopsNothing() throws Exception {
    Files.writeString(dir.resolve("readable"), "x");
    Files.setPosixFilePermissions(
        Files.writeString(dir.resolve("secret"), "x"),
        PosixFilePermissions.fromString("rw-------"));
    Files.createDirectory(dir.resolve("sub"));
    Files.createSymbolicLink(dir.resolve("link"), Path.of("sub"));
    try (Arena a = Arena.ofConfined()) {
      SyscallBatch b = new SyscallBatch(a, 16, 8);
      DirentBuffer list = new DirentBuffer(a, 4096);
      DirentBuffer end = new DirentBuffer(a, DirentBuffer.MIN_SIZE);
      int open = b.openat(Syscalls.AT_FDCWD, dir.toString(), DIRECTORY);
      int stat = b.fstatOpened(open);
      int first = b.getdents64Opened(open, list);
      int second = b.getdents64Opened(open, end);
      int missing = b.openat(Syscalls.AT_FDCWD, dir.resolve("missing").toString(), DIRECTORY);
      int after = b.fstatOpened(missing);
      b.run();
      assertTrue(b.result(open) >= 0, "opened");
      int fd = (int) b.result(open);
      try {
        assertEquals(0, b.result(stat));
        assertEquals(Stat.S_IFDIR, b.mode(stat) & Stat.S_IFMT);
        assertEquals(list.length(), b.result(first));
        assertEquals(0, b.result(second), "the second listing found the end");
        assertEquals(-Errno.ENOENT, b.result(missing));
        // Not made on -ENOENT as a descriptor, which would have failed with EBADF.
        assertEquals(-Errno.ENOENT, b.result(after));
        Map<String, Integer> names = names(list);
        assertEquals(List.of("link", "readable", "secret", "sub"), List.copyOf(names.keySet()));

        b.clear();
        int f = b.fstatat(fd, list, names.get("secret"), Syscalls.AT_SYMLINK_NOFOLLOW);
        int l = b.fstatat(fd, list, names.get("link"), Syscalls.AT_SYMLINK_NOFOLLOW);
        int d = b.openat(fd, list, names.get("link"), DIRECTORY);
        int s = b.openat(fd, list, names.get("sub"), DIRECTORY);
        b.run();
        assertEquals(Stat.S_IFREG | 0600, b.mode(f));
        assertEquals(Stat.S_IFLNK, b.mode(l) & Stat.S_IFMT);
        assertEquals(-Errno.ENOTDIR, b.result(d), "a link is not opened as a directory");
        assertTrue(b.result(s) >= 0);
        int sub = (int) b.result(s);
        b.clear();
        int c1 = b.close(sub);
        int c2 = b.close(fd);
        int c3 = b.close(fd);
        b.run();
        assertEquals(0, b.result(c1));
        assertEquals(0, b.result(c2));
        assertEquals(-Errno.EBADF, b.result(c3));
        fd = -1;
      } finally {
        if (fd >= 0) {
          Syscalls.close(fd);
        }
      }
    }
  }

  @Test
  void aNameIsNeverTakenFromABufferTheSameBatchFills() throws Exception {
    Files.writeString(dir.resolve("f"), "x");
    try (Arena a = Arena.ofConfined()) {
      DirentBuffer list = new DirentBuffer(a, 4096);
      SyscallBatch b = new SyscallBatch(a, 8, 4);
      int fd = listed(b, list);
      try {
        int at = names(list).get("f");
        b.clear();
        b.getdents64(fd, list);
        assertThrows(IllegalStateException.class, () -> b.fstatat(fd, list, at, 0));
        b.clear();
        b.fstatat(fd, list, at, 0);
        assertThrows(IllegalStateException.class, () -> b.getdents64(fd, list));
        // Another batch may fill it: its names are read again from what that one left.
        b.clear();
        SyscallBatch other = new SyscallBatch(a, 1, 1);
        other.fstatat(fd, list, at, 0);
        b.getdents64(fd, list);
      } finally {
        Syscalls.close(fd);
      }
    }
  }

  @Test
  void aRecordOffsetThatIsNotARecordIsRefusedBeforeTheKernelSeesIt() throws Exception {
    Files.writeString(dir.resolve("f"), "x");
    try (Arena a = Arena.ofConfined()) {
      DirentBuffer list = new DirentBuffer(a, 4096);
      SyscallBatch b = new SyscallBatch(a, 8, 4);
      // Nothing listed yet: no record at all.
      assertThrows(RuntimeException.class, () -> b.fstatat(Syscalls.AT_FDCWD, list, 0, 0));
      int fd = listed(b, list);
      try {
        b.clear();
        for (int at : new int[] {-8, list.length(), list.length() - 8, 4096}) {
          assertThrows(RuntimeException.class, () -> b.openat(fd, list, at, DIRECTORY), "at " + at);
        }
        assertEquals(0, b.size(), "nothing was added");
      } finally {
        Syscalls.close(fd);
      }
      assertThrows(IllegalArgumentException.class, () -> new DirentBuffer(a, 279));
    }
  }

  /**
   * An offset inside a record whose bytes parse as an in-bounds record (a name is any bytes but
   * {@code /} and NUL) is no record: its "name" is refused before any call is added.
   */
  @Test
  void anOffsetInsideARecordThatParsesAsOneIsRefused() throws Exception {
    // 24 bytes into the record, the name's bytes 21 and 22 are a d_reclen of 0x0120 (288), and
    // the name's own NUL, and the records after it, lie within that.
    for (int i = 0; i < 40; i++) {
      Files.writeString(
          dir.resolve("a".repeat(21) + "\u0020\u0001" + "b".repeat(15) + (char) ('A' + i)), "x");
    }
    try (Arena a = Arena.ofConfined()) {
      DirentBuffer list = new DirentBuffer(a, 8192);
      SyscallBatch b = new SyscallBatch(a, 8, 4);
      int fd = listed(b, list);
      try {
        int inside = -1;
        for (int at : names(list).values()) {
          if (at + 24 + 288 <= list.length()) {
            inside = at + 24;
            break;
          }
        }
        assertTrue(inside > 0, "a record with 288 bytes after its middle");
        // That the bytes there do parse as a record, read as the buffer reads one.
        MemorySegment m = list.records.asSlice(inside);
        assertEquals(288, Short.toUnsignedInt(m.get(ValueLayout.JAVA_SHORT_UNALIGNED, 16)));
        b.clear();
        int mid = inside;
        assertThrows(IllegalStateException.class, () -> list.next(mid));
        assertThrows(IllegalStateException.class, () -> b.openat(fd, list, mid, DIRECTORY));
        assertThrows(IllegalStateException.class, () -> b.fstatat(fd, list, mid, 0));
        assertEquals(0, b.size(), "nothing was added");
      } finally {
        Syscalls.close(fd);
      }
    }
  }

  /** A batch whose memory, or a buffer's, is gone refuses to run, making no call. */
  @Test
  void aBatchWithABufferOfAClosedArenaRefusesToRun() throws Exception {
    try (Arena a = Arena.ofConfined()) {
      SyscallBatch b = new SyscallBatch(a, 8, 4);
      Arena gone = Arena.ofConfined();
      DirentBuffer list = new DirentBuffer(gone, 4096);
      int open = b.openat(Syscalls.AT_FDCWD, dir.toString(), DIRECTORY);
      b.getdents64Opened(open, list);
      gone.close();
      assertThrows(IllegalStateException.class, b::run);
      assertEquals(0, b.result(open), "the open was not made");
    }
    Arena closed = Arena.ofConfined();
    SyscallBatch b = new SyscallBatch(closed, 8, 4);
    b.close(-1);
    closed.close();
    assertThrows(IllegalStateException.class, b::run);
  }

  /**
   * A name added to one batch, then its buffer filled again by another batch before the first runs:
   * the first refuses to run, making no call, since the name it holds may no longer be there.
   */
  @Test
  void aBatchNamingARecordOfABufferFilledAgainSinceRefusesToRun() throws Exception {
    Files.writeString(dir.resolve("f"), "x");
    try (Arena a = Arena.ofConfined()) {
      DirentBuffer list = new DirentBuffer(a, 4096);
      SyscallBatch fill = new SyscallBatch(a, 8, 4);
      int fd = listed(fill, list);
      try {
        int at = names(list).get("f");
        SyscallBatch naming = new SyscallBatch(a, 8, 4);
        int stat = naming.fstatat(fd, list, at, 0);
        fill.clear();
        fill.getdents64(fd, list);
        fill.run();
        assertThrows(IllegalStateException.class, naming::run);
        assertEquals(0, naming.result(stat), "the stat was not made");
        // Added again after the fill, it runs.
        naming.clear();
        fill.clear();
        int reopened = listed(fill, list);
        try {
          int again = naming.fstatat(fd, list, names(list).get("f"), 0);
          naming.run();
          assertEquals(0, naming.result(again));
        } finally {
          Syscalls.close(reopened);
        }
      } finally {
        Syscalls.close(fd);
      }
    }
  }

  @Test
  void aFullBatchRefusesMoreAndFailuresReadAsTheTypedWrappersWould() {
    try (Arena a = Arena.ofConfined()) {
      SyscallBatch b = new SyscallBatch(a, 3, 1);
      int open = b.openat(Syscalls.AT_FDCWD, "/no\u001b[2J/such", DIRECTORY);
      int stat = b.fstatOpened(open);
      assertThrows(IllegalStateException.class, () -> b.fstatOpened(open), "no room for a stat");
      int list = b.getdents64(-1, new DirentBuffer(a, 512));
      assertThrows(IllegalStateException.class, () -> b.close(0));
      b.run();
      assertEquals(
          "openat(AT_FDCWD, \"/no\u001b[2J/such\", O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC):"
              + " ENOENT (No such file or directory)",
          b.failure(open).getMessage());
      assertEquals("fstat(fd of call 0)", b.failure(stat).call());
      assertEquals(Errno.ENOENT, b.failure(stat).errno());
      assertEquals("getdents64(-1, 512)", b.failure(list).call());
      assertEquals(Errno.EBADF, b.failure(list).errno());
      assertThrows(IndexOutOfBoundsException.class, () -> b.result(3));
    }
  }

  static Stream<Long> seeds() {
    return IntStream.rangeClosed(1, 20).mapToObj(i -> 0xba7c0000L + i);
  }

  /**
   * On random directories (names up to 255 bytes, so that records fill small buffers to their edge,
   * and many calls per batch), a batched listing and stat of every entry answer what the calls made
   * one at a time answer.
   */
  @ParameterizedTest
  @MethodSource("seeds")
  void batchedCallsAnswerWhatSingleCallsAnswer(long seed) throws Exception {
    Random r = new Random(seed);
    int entries = 1 + r.nextInt(300);
    for (int i = 0; i < entries; i++) {
      String name =
          "e"
              + i
              + "x".repeat(r.nextInt(4) == 0 ? 250 - Integer.toString(i).length() : r.nextInt(20));
      Path p = dir.resolve(name);
      switch (r.nextInt(3)) {
        case 0 -> Files.createDirectory(p);
        case 1 -> Files.createSymbolicLink(p, Path.of("dangling"));
        default -> Files.writeString(p, "x");
      }
    }
    try (Arena a = Arena.ofConfined()) {
      int size = DirentBuffer.MIN_SIZE + r.nextInt(4096);
      DirentBuffer buf = new DirentBuffer(a, size);
      SyscallBatch b = new SyscallBatch(a, 1 + r.nextInt(64), 64);
      int fd = Syscalls.openat(Syscalls.AT_FDCWD, dir.toString(), DIRECTORY, 0);
      try {
        Map<String, Integer> batched = new TreeMap<>();
        while (true) {
          b.clear();
          int g = b.getdents64(fd, buf);
          b.run();
          assertTrue(b.result(g) >= 0, "listed");
          if (buf.length() == 0) {
            break;
          }
          List<String> pending = new ArrayList<>();
          List<Integer> calls = new ArrayList<>();
          SyscallBatch s = new SyscallBatch(a, Math.max(1, b.room()), 64);
          for (Map.Entry<String, Integer> e : names(buf).entrySet()) {
            if (s.room() == 0 || s.statRoom() == 0) {
              s.run();
              collect(s, pending, calls, batched);
              s.clear();
            }
            pending.add(e.getKey());
            calls.add(s.fstatat(fd, buf, e.getValue(), Syscalls.AT_SYMLINK_NOFOLLOW));
          }
          s.run();
          collect(s, pending, calls, batched);
        }
        Map<String, Integer> single = new TreeMap<>();
        try (var list = Files.list(dir)) {
          for (Path p : list.toList()) {
            single.put(
                p.getFileName().toString(),
                (Integer)
                    Files.getAttribute(p, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS));
          }
        }
        assertEquals(single, batched, "seed " + seed);
      } finally {
        Syscalls.close(fd);
      }
    }
  }

  private static void collect(
      SyscallBatch s, List<String> pending, List<Integer> calls, Map<String, Integer> into) {
    for (int i = 0; i < pending.size(); i++) {
      assertEquals(0, s.result(calls.get(i)), pending.get(i));
      into.put(pending.get(i), s.mode(calls.get(i)));
    }
    pending.clear();
    calls.clear();
  }
}
