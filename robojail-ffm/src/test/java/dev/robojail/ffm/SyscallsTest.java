package dev.robojail.ffm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real system calls that need no namespace; errno is captured per call and named. */
class SyscallsTest {
  @Test
  void failureNamesTheCallItsArgumentsAndTheErrno() {
    SyscallException e =
        assertThrows(
            SyscallException.class,
            () -> Syscalls.openat(Syscalls.AT_FDCWD, "/no/such/file", Syscalls.O_RDONLY, 0));
    assertEquals(Errno.ENOENT, e.errno());
    assertEquals("ENOENT", Errno.name(e.errno()));
    assertEquals(
        "openat(AT_FDCWD, \"/no/such/file\", O_RDONLY, 00): ENOENT (No such file or directory)",
        e.getMessage());
  }

  @Test
  void aDescriptorPassedOverASocketPairIsTheSameFile(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("f");
    Files.writeString(file, "passed");
    int[] pair = Syscalls.socketpair(Syscalls.AF_UNIX, 1 | Syscalls.O_CLOEXEC);
    int fd = Syscalls.openat(Syscalls.AT_FDCWD, file.toString(), Syscalls.O_RDONLY, 0);
    try {
      Syscalls.sendDescriptor(pair[0], fd);
      int got = Syscalls.receiveDescriptor(pair[1]);
      try (Arena a = Arena.ofConfined()) {
        assertTrue(got != fd && got > 2, "a new descriptor: " + got);
        MemorySegment buf = a.allocate(16);
        int n = Syscalls.read(got, buf, 16);
        assertEquals("passed", new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE)));
      } finally {
        Syscalls.close(got);
      }
    } finally {
      Syscalls.close(fd);
      Syscalls.close(pair[0]);
      Syscalls.close(pair[1]);
    }
  }

  @Test
  void badDescriptorIsEbadf() {
    SyscallException e = assertThrows(SyscallException.class, () -> Syscalls.close(-1));
    assertEquals(Errno.EBADF, e.errno());
    assertEquals("close(-1)", e.call());
  }

  @Test
  void everyArgumentReachesTheKernelTheSixthOnTheStackToo(@TempDir Path dir) throws IOException {
    // mmap takes six: the sixth, the file offset, picks the second page; a routine that dropped
    // or shifted one would map the wrong page, or fail.
    Path file = dir.resolve("pages");
    byte[] bytes = new byte[8192];
    java.util.Arrays.fill(bytes, 0, 4096, (byte) 'a');
    java.util.Arrays.fill(bytes, 4096, 8192, (byte) 'b');
    Files.write(file, bytes);
    int fd = Syscalls.openat(Syscalls.AT_FDCWD, file.toString(), Syscalls.O_RDONLY, 0);
    try {
      long addr =
          Syscalls.raw(Sysno.MMAP, 0, 4096, 1 /* PROT_READ */, 1 /* MAP_SHARED */, fd, 4096);
      assertTrue(addr > 0, "mmap: " + addr);
      assertEquals('b', Native.at(addr, 4096).get(ValueLayout.JAVA_BYTE, 4095));
      assertEquals(0, Syscalls.raw(Sysno.MUNMAP, addr, 4096));
    } finally {
      Syscalls.close(fd);
    }
    // A negative result is -errno, whatever the call: an offset that is not page-aligned.
    assertEquals(-Errno.EINVAL, Syscalls.raw(Sysno.MMAP, 0, 4096, 1, 1, -1, 1));
  }

  @Test
  void theCodePageIsReadAndExecuteOnly() throws IOException {
    // The routines' page was written while writable and then made read+exec: never both.
    long at = Native.routineAddress();
    String mapping = null;
    for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
      String[] range = line.substring(0, line.indexOf(' ')).split("-");
      if (Long.parseUnsignedLong(range[0], 16) <= at && at < Long.parseUnsignedLong(range[1], 16)) {
        mapping = line;
      }
    }
    assertTrue(mapping != null, "no mapping holds the routine at " + Long.toHexString(at));
    assertEquals("r-xp", mapping.split(" +")[1], mapping);
  }

  @Test
  void errnoIsPerThreadAndPerCall() throws Exception {
    // Threads failing with different errnos at once must each see their own.
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        boolean missing = i % 2 == 0;
        results.add(
            pool.submit(
                () -> {
                  try {
                    if (missing) {
                      Syscalls.openat(Syscalls.AT_FDCWD, "/no/such", 0, 0);
                    } else {
                      Syscalls.close(-1);
                    }
                    return 0;
                  } catch (SyscallException e) {
                    return e.errno();
                  }
                }));
      }
      for (int i = 0; i < results.size(); i++) {
        assertEquals(i % 2 == 0 ? Errno.ENOENT : Errno.EBADF, results.get(i).get());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void pipeCarriesBytesAndEndsWithEof() {
    int[] p = Syscalls.pipe2(Syscalls.O_CLOEXEC);
    try (Arena a = Arena.ofConfined()) {
      Syscalls.writeFully(p[1], "hello".getBytes(StandardCharsets.UTF_8));
      Syscalls.close(p[1]);
      MemorySegment buf = a.allocate(16);
      int n = Syscalls.read(p[0], buf, 16);
      assertEquals(
          "hello",
          new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8));
      assertEquals(0, Syscalls.read(p[0], buf, 16));
    } finally {
      Syscalls.close(p[0]);
    }
  }

  @Test
  void fdStreamsWrapDescriptors() throws IOException {
    int[] p = Syscalls.pipe2(Syscalls.O_CLOEXEC);
    var out = new FdOutputStream(p[1]);
    try (var in = new FdInputStream(p[0])) {
      byte[] data = new byte[100_000];
      for (int i = 0; i < data.length; i++) {
        data[i] = (byte) i;
      }
      Thread writer =
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      out.write(data);
                      out.close();
                    } catch (IOException e) {
                      throw new RuntimeException(e);
                    }
                  });
      assertArrayEquals(data, in.readAllBytes());
      writer.join();
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void dupAndOpenWork(@TempDir Path dir) throws IOException {
    int fd =
        Syscalls.openat(
            Syscalls.AT_FDCWD,
            dir.resolve("f").toString(),
            Syscalls.O_WRONLY | Syscalls.O_CREAT | Syscalls.O_CLOEXEC,
            0600);
    int copy = Syscalls.dup3(fd, 200, Syscalls.O_CLOEXEC);
    assertEquals(200, copy);
    Syscalls.writeFully(copy, "x".getBytes(StandardCharsets.UTF_8));
    Syscalls.close(copy);
    Syscalls.close(fd);
    assertEquals("x", Files.readString(dir.resolve("f")));
  }

  @Test
  void idsMatchProcSelfStatus() throws IOException {
    String status = Files.readString(Path.of("/proc/self/status"));
    String uid = status.lines().filter(l -> l.startsWith("Uid:")).findFirst().orElseThrow();
    String gid = status.lines().filter(l -> l.startsWith("Gid:")).findFirst().orElseThrow();
    assertEquals(uid.split("\\s+")[1], Integer.toString(Syscalls.getuid()));
    assertEquals(gid.split("\\s+")[1], Integer.toString(Syscalls.getgid()));
  }

  @Test
  void signalMaskRoundTrips() {
    long old = Syscalls.rtSigprocmask(Syscalls.SIG_BLOCK, 1L << (Syscalls.SIGUSR1 - 1));
    try {
      long now = Syscalls.rtSigprocmask(Syscalls.SIG_BLOCK, 0);
      assertTrue((now & (1L << (Syscalls.SIGUSR1 - 1))) != 0);
    } finally {
      Syscalls.rtSigprocmask(Syscalls.SIG_SETMASK, old);
    }
  }

  @Test
  void ioctlOnAPipeIsEnotty() {
    int[] p = Syscalls.pipe2(Syscalls.O_CLOEXEC);
    try (Arena a = Arena.ofConfined()) {
      SyscallException e =
          assertThrows(
              SyscallException.class,
              () -> Syscalls.ioctl(p[0], 0x5413 /* TIOCGWINSZ */, a.allocate(8)));
      assertEquals(Errno.ENOTTY, e.errno());
    } finally {
      Syscalls.close(p[0]);
      Syscalls.close(p[1]);
    }
  }

  @Test
  void pidfdSignalsAndWaitsForAProcess() throws IOException {
    Process p = new ProcessBuilder("sleep", "100").start();
    int fd = Syscalls.pidfdOpen((int) p.pid(), 0);
    try {
      Syscalls.pidfdSendSignal(fd, Syscalls.SIGTERM);
      assertEquals(143, p.onExit().join().exitValue());
      SyscallException e =
          assertThrows(SyscallException.class, () -> Syscalls.kill(Integer.MAX_VALUE - 1, 0));
      assertEquals(Errno.ESRCH, e.errno());
    } finally {
      Syscalls.close(fd);
    }
  }
}
