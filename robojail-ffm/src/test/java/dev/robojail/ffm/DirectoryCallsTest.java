package dev.robojail.ffm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Listing and stat'ing a real directory through {@code getdents64}, {@code newfstatat}, {@code
 * fstat} and {@code openat} of names that stay in native memory, as the host {@code /etc} walk uses
 * them.
 */
class DirectoryCallsTest {
  private static final int DIRECTORY =
      Syscalls.O_RDONLY | Syscalls.O_DIRECTORY | Syscalls.O_NOFOLLOW | Syscalls.O_CLOEXEC;

  // A name that is not UTF-8: NIO cannot make it from a string, so it is made by bytes.
  private static final byte[] NOT_UTF8 = {'n', 'o', 't', (byte) 0xff, (byte) 0xfe, '8'};

  @TempDir Path dir;

  private static MemorySegment cname(Arena a, byte[] name) {
    MemorySegment s = a.allocate(name.length + 1L);
    MemorySegment.copy(name, 0, s, ValueLayout.JAVA_BYTE, 0, name.length);
    return s;
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  @Test
  void recordsNameEveryEntryWithItsTypeAcrossManyCalls() throws Exception {
    Files.writeString(dir.resolve("file"), "x");
    Files.createDirectory(dir.resolve("sub"));
    Files.createSymbolicLink(dir.resolve("link"), Path.of("sub"));
    Files.writeString(dir.resolve("with space\nand newline"), "x");
    assertEquals(0, new ProcessBuilder("mkfifo", dir.resolve("fifo").toString()).start().waitFor());
    try (ServerSocketChannel s = ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
      s.bind(UnixDomainSocketAddress.of(dir.resolve("sock")));
      try (Arena a = Arena.ofConfined()) {
        int fd = Syscalls.openat(Syscalls.AT_FDCWD, dir.toString(), DIRECTORY, 0);
        try {
          Syscalls.close(
              Syscalls.openat(
                  fd,
                  cname(a, NOT_UTF8),
                  Syscalls.O_WRONLY | Syscalls.O_CREAT | Syscalls.O_CLOEXEC));
          Map<String, Integer> seen = new TreeMap<>();
          // Small enough that the listing takes several calls, each ending on a whole record.
          MemorySegment buffer = a.allocate(96, 8);
          int calls = 0;
          for (int n = Syscalls.getdents64(fd, buffer);
              n > 0;
              n = Syscalls.getdents64(fd, buffer)) {
            calls++;
            byte[] records = buffer.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
            for (int at = 0; at < n; at += Dirent64.reclen(records, at)) {
              int len = Dirent64.nameLength(records, at);
              byte[] name =
                  java.util.Arrays.copyOfRange(
                      records, at + Dirent64.NAME, at + Dirent64.NAME + len);
              String key = hex(name);
              assertEquals(
                  key.equals(hex(".".getBytes())) || key.equals(hex("..".getBytes())),
                  Dirent64.isDotOrDotDot(records, at),
                  key);
              seen.put(key, Dirent64.type(records, at));
              // The name in the buffer, with its NUL, is what the calls take.
              MemorySegment inPlace = buffer.asSlice(at + Dirent64.NAME, len + 1);
              if (!Dirent64.isDotOrDotDot(records, at)) {
                int mode =
                    Syscalls.fstatat(
                        fd, inPlace, a.allocate(Stat.LAYOUT), Syscalls.AT_SYMLINK_NOFOLLOW);
                assertEquals(
                    Dirent64.type(records, at) == Dirent64.DT_DIR,
                    (mode & Stat.S_IFMT) == Stat.S_IFDIR,
                    key);
              }
            }
          }
          assertTrue(calls > 1, "the listing took " + calls + " calls");
          Map<String, Integer> expected = new TreeMap<>();
          expected.put(hex(".".getBytes()), Dirent64.DT_DIR);
          expected.put(hex("..".getBytes()), Dirent64.DT_DIR);
          expected.put(hex("file".getBytes()), Dirent64.DT_REG);
          expected.put(hex("sub".getBytes()), Dirent64.DT_DIR);
          expected.put(hex("link".getBytes()), Dirent64.DT_LNK);
          expected.put(hex("fifo".getBytes()), Dirent64.DT_FIFO);
          expected.put(hex("sock".getBytes()), Dirent64.DT_SOCK);
          expected.put(
              hex("with space\nand newline".getBytes(StandardCharsets.UTF_8)), Dirent64.DT_REG);
          expected.put(hex(NOT_UTF8), Dirent64.DT_REG);
          // tmpfs and ext4 fill d_type; a file system that does not would answer DT_UNKNOWN.
          seen.replaceAll((k, t) -> t == Dirent64.DT_UNKNOWN ? expected.get(k) : t);
          assertEquals(expected, seen);
        } finally {
          Syscalls.close(fd);
        }
      }
    }
  }

  @Test
  void statsSayTypeAndModeWithoutFollowingALink() throws IOException {
    Path file = Files.writeString(dir.resolve("f"), "x");
    Files.setPosixFilePermissions(
        file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
    Files.createSymbolicLink(dir.resolve("l"), Path.of("f"));
    try (Arena a = Arena.ofConfined()) {
      MemorySegment stat = a.allocate(Stat.LAYOUT);
      int fd = Syscalls.openat(Syscalls.AT_FDCWD, dir.toString(), DIRECTORY, 0);
      try {
        int mode =
            Syscalls.fstatat(fd, cname(a, "f".getBytes()), stat, Syscalls.AT_SYMLINK_NOFOLLOW);
        assertEquals(Stat.S_IFREG | 0640, mode);
        assertEquals(mode, Stat.mode(stat));
        mode = Syscalls.fstatat(fd, cname(a, "l".getBytes()), stat, Syscalls.AT_SYMLINK_NOFOLLOW);
        assertEquals(Stat.S_IFLNK, mode & Stat.S_IFMT);
        assertEquals(Stat.S_IFREG | 0640, Syscalls.fstatat(fd, cname(a, "l".getBytes()), stat, 0));
        assertEquals(Stat.S_IFDIR, Syscalls.fstat(fd, stat) & Stat.S_IFMT);
        // The kernel filled the struct where the layout says: st_uid, after st_mode, is ours.
        assertEquals(Syscalls.getuid(), stat.get(ValueLayout.JAVA_INT, 28));
      } finally {
        Syscalls.close(fd);
      }
    }
  }

  @Test
  void aLinkIsNotOpenedAsADirectory() throws IOException {
    Files.createDirectory(dir.resolve("real"));
    Files.createSymbolicLink(dir.resolve("link"), Path.of("real"));
    Files.writeString(dir.resolve("file"), "x");
    try (Arena a = Arena.ofConfined()) {
      int fd = Syscalls.openat(Syscalls.AT_FDCWD, dir.toString(), DIRECTORY, 0);
      try {
        Syscalls.close(Syscalls.openat(fd, cname(a, "real".getBytes()), DIRECTORY));
        SyscallException link =
            assertThrows(
                SyscallException.class,
                () -> Syscalls.openat(fd, cname(a, "link".getBytes()), DIRECTORY));
        // O_DIRECTORY is checked on the link itself, which O_NOFOLLOW keeps from being resolved.
        assertEquals(Errno.ENOTDIR, link.errno());
        SyscallException file =
            assertThrows(
                SyscallException.class,
                () -> Syscalls.openat(fd, cname(a, "file".getBytes()), DIRECTORY));
        assertEquals(Errno.ENOTDIR, file.errno());
      } finally {
        Syscalls.close(fd);
      }
    }
  }

  @Test
  void failuresNameTheCallWithTheNamesBytesEscaped() {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment stat = a.allocate(Stat.LAYOUT);
      byte[] name = {'n', 'o', (byte) 0xff, 0x1b, '[', '2', 'J', '"'};
      SyscallException e =
          assertThrows(
              SyscallException.class,
              () ->
                  Syscalls.fstatat(
                      Syscalls.AT_FDCWD, cname(a, name), stat, Syscalls.AT_SYMLINK_NOFOLLOW));
      assertEquals(Errno.ENOENT, e.errno());
      assertEquals(
          "fstatat(AT_FDCWD, \"no\\xff\\x1b[2J\\x22\", AT_SYMLINK_NOFOLLOW): ENOENT (No such file"
              + " or directory)",
          e.getMessage());
      SyscallException open =
          assertThrows(
              SyscallException.class,
              () -> Syscalls.openat(Syscalls.AT_FDCWD, cname(a, name), DIRECTORY));
      assertEquals(
          "openat(AT_FDCWD, \"no\\xff\\x1b[2J\\x22\", O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC)",
          open.call());
      SyscallException bad =
          assertThrows(SyscallException.class, () -> Syscalls.getdents64(-1, a.allocate(64)));
      assertEquals("getdents64(-1, 64)", bad.call());
      assertEquals(Errno.EBADF, bad.errno());
    }
  }

  @Test
  void memoryTheKernelWouldMisreadIsRefusedBeforeTheCall() {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment stat = a.allocate(Stat.LAYOUT);
      // The NUL must be the last byte: nothing after it, nothing the kernel would read beyond.
      MemorySegment noNul = a.allocateFrom(ValueLayout.JAVA_BYTE, (byte) 'f', (byte) 0, (byte) 'x');
      assertThrows(
          IllegalArgumentException.class,
          () -> Syscalls.fstatat(Syscalls.AT_FDCWD, noNul, stat, 0));
      MemorySegment heap = MemorySegment.ofArray(new byte[] {'f', 0});
      assertThrows(
          IllegalArgumentException.class, () -> Syscalls.fstatat(Syscalls.AT_FDCWD, heap, stat, 0));
      MemorySegment name = cname(a, "/".getBytes());
      assertThrows(
          IllegalArgumentException.class,
          () -> Syscalls.fstatat(Syscalls.AT_FDCWD, name, a.allocate(100), 0));
      assertThrows(
          IllegalArgumentException.class,
          () -> Syscalls.getdents64(0, MemorySegment.ofArray(new byte[64])));
    }
  }
}
