package dev.robojail.sandbox;

import static dev.robojail.sandbox.Jailed.base;
import static dev.robojail.sandbox.Jailed.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.ffm.Procfs;
import dev.robojail.ffm.Programs;
import dev.robojail.ffm.Syscalls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Limits that hold for real: a fork bomb and a memory hog in the sandbox's own cgroup (where the
 * host lets robojail make one; as the host's root, the cgroup is what stops a fork bomb), and tmpfs
 * sizes.
 */
@NeedsUserNamespaces
class LimitsTest {
  @BeforeAll
  static void needsUserNamespaces() {}

  private static boolean cgroupHas(String controller) {
    Optional<Cgroup.Place> place = Cgroup.find();
    return place.isPresent() && place.get().parents().containsKey(controller);
  }

  @Test
  void aForkBombStaysWithinMaxProcessesAlsoAsTheHostsRoot() throws Exception {
    // As root only the cgroup binds (the kernel exempts root from RLIMIT_NPROC); as anyone else
    // the rlimit does, cgroup or not.
    assumeTrue(
        Syscalls.getuid() != 0 || cgroupHas("pids"),
        "as root, a fork bomb is only stopped by a pids cgroup, which this host does not give");
    String out =
        run(
            base().processes(40),
            "for i in $(seq 80); do sleep 2 & done 2>&1 | grep -m1 -o 'Cannot fork'; wait");
    assertTrue(out.contains("Cannot fork"), "the 41st process must not start: " + out);
  }

  /** A sandbox with both limits, which waits until its standard input closes. */
  private static SandboxProcess waitingWithLimits() {
    return base()
        .processes(33)
        .memory(96L << 20)
        .command("/bin/sh", "-c", "read x || true")
        .stdin(Stdio.pipe())
        .start();
  }

  @Test
  void theSandboxRunsInItsOwnCgroupWithItsLimitsAndItIsRemovedAfterwards() throws Exception {
    assumeTrue(cgroupHas("pids"), "no cgroup can be made here: " + Cgroup.describe(Cgroup.find()));
    SandboxProcess p = waitingWithLimits();
    List<Path> dirs;
    try {
      String cgroups = Files.readString(Path.of("/proc/" + p.pid() + "/cgroup"));
      assertTrue(cgroups.contains("/robojail-"), cgroups);
      Cgroup.Place place = Cgroup.find().orElseThrow();
      dirs =
          place.parents().values().stream()
              .distinct()
              .map(
                  parent -> {
                    try (var children = Files.list(parent)) {
                      return children
                          .filter(d -> Files.exists(d.resolve("cgroup.procs")))
                          .filter(d -> contains(d.resolve("cgroup.procs"), p.pid()))
                          .findFirst()
                          .orElseThrow();
                    } catch (java.io.IOException e) {
                      throw new java.io.UncheckedIOException(e);
                    }
                  })
              .toList();
      Path pids = place.parents().get("pids");
      Path pidsDir = dirs.stream().filter(d -> d.startsWith(pids)).findFirst().orElseThrow();
      assertEquals("33", Files.readString(pidsDir.resolve("pids.max")).strip());
    } finally {
      p.getOutputStream().close();
    }
    assertEquals(0, p.waitFor());
    // Gone by the time waitFor returns, not some time after: a command halts the JVM then.
    assertFalse(dirs.stream().anyMatch(Files::exists), "removed once the sandbox ended: " + dirs);
  }

  /** This JVM's threads, each with its cgroups (the lines of its {@code /proc/.../cgroup}). */
  private static java.util.Map<String, String> threadsCgroups() throws java.io.IOException {
    java.util.Map<String, String> all = new java.util.TreeMap<>();
    try (var tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path t : tasks.toList()) {
        try {
          all.put(t.getFileName().toString(), Files.readString(t.resolve("cgroup")));
        } catch (java.io.IOException e) {
          // a thread that ended meanwhile
        }
      }
    }
    return all;
  }

  /** The sandbox's cgroup directories, from its PID 1's {@code /proc/PID/cgroup}. */
  private static List<Path> cgroupOf(long pid) throws java.io.IOException {
    List<Path> dirs = new java.util.ArrayList<>();
    Cgroup.Place place = Cgroup.find().orElseThrow();
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
      String path = line.split(":", 3)[2];
      if (path.contains("/robojail-")) {
        for (Path parent : place.parents().values()) {
          Path dir = parent.resolve(path.substring(path.lastIndexOf('/') + 1));
          if (Files.isDirectory(dir) && !dirs.contains(dir)) {
            dirs.add(dir);
          }
        }
      }
    }
    return dirs;
  }

  @Test
  void whileASandboxRunsAndAfterAFailedSpawnNoThreadOfTheJvmIsInItsCgroup() throws Exception {
    assumeTrue(cgroupHas("pids"), "no cgroup can be made here: " + Cgroup.describe(Cgroup.find()));
    String own = Files.readString(Path.of("/proc/self/cgroup"));
    SandboxProcess p = waitingWithLimits();
    List<Path> dirs;
    try {
      dirs = cgroupOf(p.pid());
      assertFalse(dirs.isEmpty(), Files.readString(Path.of("/proc/" + p.pid() + "/cgroup")));
      java.util.Set<String> jvm = threadsCgroups().keySet();
      for (Path dir : dirs) {
        // the sandbox's own processes only (v1 lists threads in tasks, v2 has no tasks file)
        Path members =
            Files.exists(dir.resolve("tasks")) ? dir.resolve("tasks") : dir.resolve("cgroup.procs");
        for (String tid : Files.readAllLines(members)) {
          assertFalse(jvm.contains(tid), "a thread of the JVM in " + dir + ": " + tid);
        }
      }
      threadsCgroups().forEach((tid, cgroups) -> assertEquals(own, cgroups, "thread " + tid));
    } finally {
      p.getOutputStream().close();
    }
    assertEquals(0, p.waitFor());
    assertFalse(dirs.stream().anyMatch(Files::exists), "removed once the sandbox ended: " + dirs);
    // A start that fails after its clone (no such command): every thread is back all the same,
    // and the cgroup it made is gone.
    assertThrows(
        SandboxException.class,
        () -> base().processes(33).command("/no/such/command").start().waitFor());
    threadsCgroups().forEach((tid, cgroups) -> assertEquals(own, cgroups, "thread " + tid));
    try (var left = Files.list(Cgroup.find().orElseThrow().parents().get("pids"))) {
      assertFalse(
          left.anyMatch(d -> d.getFileName().toString().startsWith(Cgroup.prefix())),
          "no cgroup of this JVM's left");
    }
  }

  @Test
  void aSandboxOfOneProcessHasRoomForItsOwnFirstProcess() throws Exception {
    // The spawner thread is in the cgroup while it clones (cgroup v1), and must not take the one
    // place: the limit is written once it has left, before the child may run anything.
    assumeTrue(cgroupHas("pids"), "no cgroup can be made here: " + Cgroup.describe(Cgroup.find()));
    assertEquals("0 ", run(base().processes(1).init(false), "exit 0"));
    String out = run(base().processes(1).init(false), "/bin/true; echo status $?");
    assertTrue(out.contains("Cannot fork"), "the second is refused: " + out);
  }

  @Test
  void aJoinedSessionIsInTheRunningSandboxsCgroup() throws Exception {
    assumeTrue(cgroupHas("pids"), "no cgroup can be made here: " + Cgroup.describe(Cgroup.find()));
    Sandbox.Builder b = base().processes(33);
    SandboxProcess first =
        b.command("/bin/sh", "-c", "exec sleep 600").stdout(Stdio.discard()).start();
    int pidfd = dev.robojail.ffm.Kernel.linux().pidfdOpen((int) first.pid(), 0);
    try {
      String expected = Files.readString(Path.of("/proc/" + first.pid() + "/cgroup"));
      String result = Jailed.joined(b, (int) first.pid(), pidfd, "/bin/cat", "/proc/self/cgroup");
      assertTrue(result.startsWith("0 "), result);
      String out = result.substring(2);
      for (String line : expected.lines().toList()) {
        if (line.contains("/robojail-")) {
          assertTrue(out.lines().anyMatch(line::equals), line + " in " + out);
        }
      }
    } finally {
      dev.robojail.ffm.Kernel.linux().close(pidfd);
      first.destroy();
      first.waitFor();
    }
  }

  private static boolean contains(Path procs, long pid) {
    try {
      return Files.readAllLines(procs).contains(Long.toString(pid));
    } catch (java.io.IOException e) {
      return false;
    }
  }

  // 512 MiB touched, page by page, in 1 MiB pieces
  private static final String HOG =
      "/usr/bin/python3 -c 'b = [bytearray(1 << 20) for _ in range(512)]; print(\"survived\")'";

  @Test
  void aMemoryHogIsKilledAtTheMemoryLimit() throws Exception {
    assumeTrue(cgroupHas("memory"), "no memory cgroup here: " + Cgroup.describe(Cgroup.find()));
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs /usr/bin/python3");
    String out = run(base().memory(64L << 20), HOG + "; echo status $?");
    assertTrue(out.contains("status 137"), "killed (SIGKILL) by the kernel: " + out);
    assertFalse(out.contains("survived"), out);
    // within the limit, the same program lives
    String small =
        "/usr/bin/python3 -c 'b = [bytearray(1 << 20) for _ in range(16)]; print(\"survived\")'";
    assertEquals("0 survived\n", run(base().memory(64L << 20), small));
  }

  // The child sets up sharing the JVM's memory (CLONE_VM): were that setup charged in the
  // sandbox's memory cgroup, an OOM there would score the child by the JVM's memory and kill the
  // JVM with it. At the least limit config.toml allows (32M), a hog ends the sandbox, not the JVM.
  @Test
  void atTheLeastMemoryLimitAHogIsKilledAndTheJvmLives() throws Exception {
    assumeTrue(cgroupHas("memory"), "no memory cgroup here: " + Cgroup.describe(Cgroup.find()));
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs /usr/bin/python3");
    for (int i = 0; i < 3; i++) {
      String out = run(base().memory(32L << 20), HOG + "; echo status $?");
      assertTrue(out.contains("status 137"), "killed (SIGKILL) by the kernel: " + out);
    }
  }

  // With v1, the child is born in the pids hierarchy only and enters the memory one itself right
  // before its exec: a limit its setup alone would overflow ends the sandbox, never the JVM (this
  // test's own JVM, which would not get to its assertions).
  @Test
  void withV1ALimitBelowTheSetupsOwnNeedEndsTheSandboxNotTheJvm() throws Exception {
    assumeTrue(cgroupHas("memory"), "no memory cgroup here: " + Cgroup.describe(Cgroup.find()));
    assumeTrue(Cgroup.find().orElseThrow().version().equals("v1"), "cgroup v1 only");
    for (int i = 0; i < 3; i++) {
      try {
        // /bin/true after robojail-init lives within 250,000 bytes two runs in ten on a warm page
        // cache (measured): 100,000 is well below what it needs
        SandboxProcess p = base().memory(100_000).command("/bin/true").start();
        assertTrue(p.waitFor() != 0, "it cannot live within 100000 bytes");
      } catch (SandboxException e) {
        // or it ended before its exec: told, and the JVM is here to tell it
      }
    }
  }

  @Test
  void tmpfsSizesHold() throws Exception {
    String script =
        "for d in /tmp /dev/shm /home/u; do"
            + " dd if=/dev/zero of=$d/fill bs=64k count=64 2>&1 | grep -o 'No space left on device';"
            + " done";
    String out = run(base().tmpfsSize(1L << 20).tmpfs("/home/u", 1L << 20, 0700), script);
    assertEquals(
        "0 No space left on device\nNo space left on device\nNo space left on device\n", out);
    // a tmpfs of a size of its own keeps it, and the default is bounded too
    assertEquals(
        "0 " + (Sandbox.DEFAULT_TMPFS_SIZE >> 10) + "\n",
        run(base(), "df -k /tmp | tail -n 1 | tr -s ' ' | cut -d' ' -f2"));
  }

  @Test
  void aJailCannotTakeTheUsersInotifyInstancesNorMakeAUserNamespace() throws Exception {
    Programs.require("/usr/bin/python3", "Debian's python3");
    long users = Procfs.sysctl("user/max_inotify_instances").map(Long::parseLong).orElseThrow();
    // Takes every instance it can, says how many, and holds them until its stdin closes.
    String py =
        "import ctypes, sys\n"
            + "libc = ctypes.CDLL(None, use_errno=True)\n"
            + "held = []\n"
            + "while libc.inotify_init1(0) >= 0:\n"
            + "    held.append(1)\n"
            + "print(len(held), ctypes.get_errno(), flush=True)\n"
            + "for name in ('max_inotify_instances', 'max_user_namespaces'):\n"
            + "    print(open('/proc/sys/user/' + name).read().strip(), flush=True)\n"
            + "sys.stdin.read()\n";
    SandboxProcess p =
        base()
            .openFiles(users + 64)
            .command("/usr/bin/python3", "-c", py)
            .stdin(Stdio.pipe())
            .stdout(Stdio.pipe())
            .redirectErrorStream(true)
            .start();
    try {
      var out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()));
      String taken = out.readLine();
      String instances = out.readLine();
      String userNamespaces = out.readLine();
      String[] f = taken.split(" ");
      assertEquals("24", f[1], "EMFILE, the limit, and not another error: " + taken);
      assertTrue(Long.parseLong(f[0]) <= users / 2, taken + " of the user's " + users);
      // while the jail holds all it may, the user's own programs still get theirs
      try (java.nio.file.WatchService w =
          java.nio.file.FileSystems.getDefault().newWatchService()) {
        Path.of(System.getProperty("java.io.tmpdir"))
            .register(w, java.nio.file.StandardWatchEventKinds.ENTRY_CREATE);
      }
      assertEquals(users / 2 + "", instances, "the jail's own limit: half the user's");
      assertEquals("0", userNamespaces, "no nested user namespace, whatever the filter lets by");
    } finally {
      p.getOutputStream().close();
      p.waitFor();
    }
  }
}
