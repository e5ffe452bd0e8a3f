package dev.robojail.ffm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A child born in a cgroup ({@link SetupRunner.Birthplace}), for real: with cgroup v1 through the
 * cloning thread's own move there and back, with v2 through {@code CLONE_INTO_CGROUP} in a cgroup2
 * hierarchy the test mounts. Both need a cgroup the caller may make, which on the project's
 * machines only root has; as anyone else they skip.
 */
@NeedsUserNamespaces
class SetupRunnerCgroupTest {
  private static final long NAMESPACES =
      Syscalls.CLONE_NEWUSER | Syscalls.CLONE_NEWNS | Syscalls.CLONE_NEWPID;

  // CLONE_FS with CLONE_NEWUSER: a clone the kernel always refuses (EINVAL)
  private static final long REFUSED = Syscalls.CLONE_NEWUSER | 0x200L;

  /** The v1 pids hierarchy's directory of this JVM's cgroup, where root may make children. */
  private static Path pidsV1() throws IOException {
    Optional<String> own =
        Files.readAllLines(Path.of("/proc/self/cgroup")).stream()
            .filter(l -> l.split(":", 3)[1].equals("pids"))
            .map(l -> l.split(":", 3)[2])
            .findFirst();
    Optional<String> mount =
        Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
            .filter(l -> l.contains(" - cgroup ") && l.matches(".*[ ,]pids(,.*)?$"))
            .filter(l -> l.split(" ")[3].equals("/"))
            .map(l -> l.split(" ")[4])
            .findFirst();
    assumeTrue(own.isPresent() && mount.isPresent(), "no cgroup v1 pids hierarchy here");
    Path dir = Path.of(mount.get()).resolve(own.get().substring(1));
    assumeTrue(Files.isWritable(dir.resolve("tasks")), "may not make cgroups in " + dir);
    return dir;
  }

  /** Starts {@code argv} born where {@code born} says; returns its output. */
  private static String run(SetupRunner.Birthplace born, long flags, String... argv)
      throws IOException {
    Object[] r =
        SetupRunnerTest.run(
            List.of(
                SetupRunnerTest.exec(
                    argv[0], List.of(argv).subList(1, argv.length).toArray(String[]::new))),
            null,
            flags,
            born);
    assertEquals(0, r[0], (String) r[1]);
    return (String) r[1];
  }

  /** A v1 cgroup of the test's own below {@code own}, and its {@code tasks} and own's, open. */
  private record V1(Path own, Path dir, int enter, int home) implements AutoCloseable {
    static V1 make(String name) throws IOException {
      Path own = pidsV1();
      Path dir = own.resolve("robojail-test-" + ProcessHandle.current().pid() + "-" + name);
      Files.createDirectory(dir);
      return new V1(
          own,
          dir,
          open(dir.resolve("tasks"), Syscalls.O_WRONLY),
          open(own.resolve("tasks"), Syscalls.O_WRONLY));
    }

    @Override
    public void close() throws IOException {
      // back, whatever the test did
      Syscalls.writeFully(home, new byte[] {'0'});
      Syscalls.close(enter);
      Syscalls.close(home);
      removeWhenEmpty(dir);
    }
  }

  /** Every thread of this JVM, by tid, and its cgroups. */
  private static List<String> threadsCgroups() throws IOException {
    List<String> all = new ArrayList<>();
    try (var tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path t : tasks.toList()) {
        try {
          all.add(t.getFileName() + " " + Files.readString(t.resolve("cgroup")).replace('\n', ' '));
        } catch (IOException e) {
          // a thread that ended meanwhile
        }
      }
    }
    return all;
  }

  private static int open(Path file, int flags) {
    return Syscalls.openat(Syscalls.AT_FDCWD, file.toString(), flags | Syscalls.O_CLOEXEC, 0);
  }

  private static void removeWhenEmpty(Path dir) {
    Await.until("the test's cgroup " + dir + " removable", () -> remove(dir));
  }

  private static boolean remove(Path dir) {
    try {
      Files.deleteIfExists(dir);
      return true;
    } catch (IOException e) {
      return false; // EBUSY for a moment after the child's end
    }
  }

  @Test
  void withV1TheChildIsBornInTheCgroupAndNoThreadOfTheJvmStaysThere() throws Exception {
    try (V1 cg = V1.make("born")) {
      String mine = Files.readString(Path.of("/proc/thread-self/cgroup"));
      SetupRunner.Birthplace born =
          SetupRunner.Birthplace.byThread(new int[] {cg.enter()}, new int[] {cg.home()});
      // The exec'd command reads its own cgroups: the child was in it before anything of its own
      // ran, and nobody moved it there.
      String child = run(born, NAMESPACES, "/bin/cat", "/proc/self/cgroup");
      String name = cg.dir().getFileName().toString();
      assertTrue(child.lines().anyMatch(l -> l.matches("\\d+:pids:(.*/)?" + name)), child);
      assertFalse(born.stranded());
      assertEquals(mine, Files.readString(Path.of("/proc/thread-self/cgroup")));
      for (String t : threadsCgroups()) {
        assertFalse(t.contains(name), t);
      }
      // A clone the kernel refuses: the thread went in and must be back all the same.
      SyscallException e =
          assertThrows(SyscallException.class, () -> run(born, REFUSED, "/bin/true"));
      assertTrue(e.getMessage().startsWith("clone3("), e.getMessage());
      assertEquals(mine, Files.readString(Path.of("/proc/thread-self/cgroup")));
      assertEquals("", Files.readString(cg.dir().resolve("tasks")));
    }
  }

  @Test
  void withV1AThreadThatCannotGoBackEndsItsChildAndSaysSo() throws Exception {
    try (V1 cg = V1.make("stranded")) {
      // read-only: the write that moves the thread back fails (EBADF)
      int broken = open(cg.own().resolve("tasks"), Syscalls.O_RDONLY);
      try {
        SetupRunner.Birthplace born =
            SetupRunner.Birthplace.byThread(new int[] {cg.enter()}, new int[] {broken});
        SyscallException e =
            assertThrows(
                SyscallException.class,
                () -> run(born, NAMESPACES, "/bin/sh", "-c", "echo ran; sleep 600"));
        assertTrue(
            e.getMessage().contains("back into the cloning thread's own cgroup"), e.getMessage());
        assertTrue(born.stranded());
        // the child was killed and reaped: only this thread is left in the cgroup
        String tid = Files.readString(Path.of("/proc/thread-self/stat")).split(" ")[0];
        assertEquals(tid + "\n", Files.readString(cg.dir().resolve("tasks")));
      } finally {
        Syscalls.close(broken);
      }
    }
  }

  @Test
  void withV1AChildThatMovesItselfIsInTheCgroupWhenItExecsAndNoThreadOfTheJvmWentThere()
      throws Exception {
    try (V1 cg = V1.make("self")) {
      String mine = Files.readString(Path.of("/proc/thread-self/cgroup"));
      SetupRunner.Birthplace born = SetupRunner.Birthplace.bySelf(new int[] {cg.enter()});
      String child = run(born, NAMESPACES, "/bin/cat", "/proc/self/cgroup");
      String name = cg.dir().getFileName().toString();
      assertTrue(child.lines().anyMatch(l -> l.matches("\\d+:pids:(.*/)?" + name)), child);
      assertEquals(mine, Files.readString(Path.of("/proc/thread-self/cgroup")));
      for (String t : threadsCgroups()) {
        assertFalse(t.contains(name), t);
      }
    }
  }

  // Without a cgroup (anyone): pipes stand in for the tasks files, so that a move that fails is
  // one that cannot write.

  @Test
  void aMoveInThatFailsClonesNothingAndMovesBack(@TempDir Path tmp) throws Exception {
    // the read end: the write that moves the thread in fails (EBADF)
    movesThroughPipes(
        tmp, true, "into the child's cgroup", false, "moved back (undoing a part done)");
  }

  @Test
  void aMoveBackThatFailsEndsTheChildBeforeItRunsAnything(@TempDir Path tmp) throws Exception {
    movesThroughPipes(
        tmp, false, "back into the cloning thread's own cgroup", true, "moved in before the clone");
  }

  /**
   * A child of {@code /bin/touch} born through a thread move whose tasks are pipes, one of them its
   * read end, so that the move in ({@code inFails}) or back fails; the other's pipe gets the {@code
   * "0"} written. The child never runs.
   */
  private static void movesThroughPipes(
      Path tmp, boolean inFails, String failure, boolean stranded, String written)
      throws Exception {
    int[] in = Syscalls.pipe2(Syscalls.O_CLOEXEC);
    int[] back = Syscalls.pipe2(Syscalls.O_CLOEXEC);
    try {
      SetupRunner.Birthplace born =
          SetupRunner.Birthplace.byThread(
              new int[] {inFails ? in[0] : in[1]}, new int[] {inFails ? back[1] : back[0]});
      Path ran = tmp.resolve("ran");
      SyscallException e =
          assertThrows(SyscallException.class, () -> run(born, NAMESPACES, "/bin/touch", "" + ran));
      assertTrue(e.getMessage().contains(failure), e.getMessage());
      assertEquals(stranded, born.stranded());
      assertEquals('0', (char) readByte(inFails ? back[0] : in[0]), written);
      assertFalse(Files.exists(ran), "nothing ran: not cloned, or ended before its release");
    } finally {
      closeAll(in[0], in[1], back[0], back[1]);
    }
  }

  @Test
  void aChildThatMovesItselfDoesSoBeforeItsExecAndOnlyExecsOnceItHas(@TempDir Path tmp)
      throws Exception {
    int[] tasks = Syscalls.pipe2(Syscalls.O_CLOEXEC);
    try {
      Path ran = tmp.resolve("ran");
      run(SetupRunner.Birthplace.bySelf(new int[] {tasks[1]}), NAMESPACES, "/bin/touch", "" + ran);
      assertEquals('0', (char) readByte(tasks[0]), "written by the child");
      assertTrue(Files.exists(ran));
      // the read end: the child's move fails, and so does the start, before anything is exec'd
      SyscallException e =
          assertThrows(
              SyscallException.class,
              () ->
                  run(
                      SetupRunner.Birthplace.bySelf(new int[] {tasks[0]}),
                      NAMESPACES,
                      "/bin/rm",
                      "" + ran));
      assertTrue(
          e.getMessage().contains("moving the child into its cgroup: EBADF"), e.getMessage());
      assertTrue(Files.exists(ran), "not exec'd");
    } finally {
      closeAll(tasks[0], tasks[1]);
    }
  }

  private static int readByte(int fd) {
    try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
      java.lang.foreign.MemorySegment b = a.allocate(1);
      assertEquals(1, Syscalls.read(fd, b, 1));
      return Structs.byteAt(b, 0);
    }
  }

  private static void closeAll(int... fds) {
    for (int fd : fds) {
      Syscalls.close(fd);
    }
  }

  @Test
  void withV2TheChildIsBornInTheCgroupThroughCloneIntoCgroup(@TempDir Path tmp) throws Exception {
    // This host's controllers may all be on v1 hierarchies: a cgroup2 hierarchy still groups
    // processes, which is all CLONE_INTO_CGROUP needs. Mounted for the test alone, then detached.
    assumeTrue(Syscalls.getuid() == 0, "only root may mount a cgroup2 hierarchy");
    Path root = Files.createDirectory(tmp.resolve("cgroup2"));
    Process mount = new ProcessBuilder("mount", "-t", "cgroup2", "none", root.toString()).start();
    assumeTrue(
        mount.waitFor(30, TimeUnit.SECONDS) && mount.exitValue() == 0,
        "cannot mount cgroup2: " + new String(mount.getErrorStream().readAllBytes()));
    Path dir = root.resolve("robojail-test-" + ProcessHandle.current().pid());
    try {
      Files.createDirectory(dir);
      int fd = open(dir, Syscalls.O_RDONLY | Syscalls.O_DIRECTORY);
      try {
        String mine = Files.readString(Path.of("/proc/thread-self/cgroup"));
        String child =
            run(SetupRunner.Birthplace.directory(fd), NAMESPACES, "/bin/cat", "/proc/self/cgroup");
        assertTrue(child.contains("0::/" + dir.getFileName() + "\n"), child);
        assertEquals(mine, Files.readString(Path.of("/proc/thread-self/cgroup")));
        // The kernel's refusal is clone3's: a directory outside any cgroup2 hierarchy.
        int notCgroup = open(tmp, Syscalls.O_RDONLY | Syscalls.O_DIRECTORY);
        try {
          SyscallException e =
              assertThrows(
                  SyscallException.class,
                  () -> run(SetupRunner.Birthplace.directory(notCgroup), NAMESPACES, "/bin/true"));
          assertTrue(e.getMessage().startsWith("clone3({flags="), e.getMessage());
          assertTrue(e.getMessage().contains("CLONE_INTO_CGROUP"), e.getMessage());
        } finally {
          Syscalls.close(notCgroup);
        }
      } finally {
        Syscalls.close(fd);
      }
      removeWhenEmpty(dir);
    } finally {
      new ProcessBuilder("umount", "-l", root.toString()).start().waitFor(30, TimeUnit.SECONDS);
    }
  }
}
