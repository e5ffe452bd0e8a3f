package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where a sandbox's cgroup goes, on made-up cgroup trees of each kind. */
class CgroupTest {
  @TempDir Path root;

  private Path cgroup(Path dir, String subtreeControl) throws Exception {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("cgroup.procs"), "");
    Files.writeString(dir.resolve("cgroup.subtree_control"), subtreeControl + "\n");
    return dir;
  }

  @Test
  void withV2ItGoesBesideTheJvmsCgroupWhenTheParentDelegatesBothControllers() throws Exception {
    Path v2 = root.resolve("v2");
    Path app = cgroup(v2.resolve("user.slice/user@1000.service/app.slice"), "cpu memory pids");
    cgroup(app.resolve("term.scope"), "");
    String self = "0::/user.slice/user@1000.service/app.slice/term.scope\n";
    Optional<Cgroup.Place> place = Cgroup.find(self, Map.of("cgroup2", v2));
    assertEquals(Optional.of(new Cgroup.Place("v2", Map.of("pids", app, "memory", app))), place);
    // a parent that does not pass memory on to its children is no place
    Files.writeString(app.resolve("cgroup.subtree_control"), "pids\n");
    assertEquals(Optional.empty(), Cgroup.find(self, Map.of("cgroup2", v2)));
  }

  // A joining child sets up sharing the JVM's memory: born in a cgroup the sandbox keeps full, an
  // OOM there would kill the JVM with it. It is moved in by pid behind its exec gate instead.
  @Test
  void withV2AJoiningChildIsNotBornInTheSandboxsCgroupButAFreshOneIs() throws Exception {
    Path v2 = root.resolve("v2");
    Path dir = cgroup(v2.resolve("robojail-1-2-3"), "");
    Cgroup running = Cgroup.of("0::/robojail-1-2-3\n", Map.of("cgroup2", v2)).orElseThrow();
    dev.robojail.ffm.Kernel kernel = dev.robojail.ffm.Kernel.linux();
    java.util.List<Integer> fds = new java.util.ArrayList<>();
    try {
      assertEquals(null, running.birthplace(kernel, false, fds));
      assertEquals(java.util.List.of(), fds, "nothing opened for a join");
      assertTrue(running.birthplace(kernel, true, fds) != null, "born there: " + dir);
    } finally {
      fds.forEach(kernel::close);
    }
  }

  @Test
  void withV2AtTheRootTheRootItselfIsTheParent() throws Exception {
    Path v2 = cgroup(root.resolve("v2"), "memory pids");
    assertEquals(
        Optional.of(new Cgroup.Place("v2", Map.of("pids", v2, "memory", v2))),
        Cgroup.find("0::/\n", Map.of("cgroup2", v2)));
  }

  @Test
  void withV1EachControllerIsBelowTheJvmsOwnCgroupOfIt() throws Exception {
    Path pids = cgroup(root.resolve("pids"), "");
    Path memory = cgroup(root.resolve("memory/process_api/abc"), "");
    String self = "8:pids:/\n4:memory:/process_api/abc\n0::/\n";
    Map<String, Path> mounts =
        Map.of("pids", pids, "memory", root.resolve("memory"), "cgroup2", root.resolve("none"));
    Optional<Cgroup.Place> place = Cgroup.find(self, mounts);
    assertEquals(
        Optional.of(new Cgroup.Place("v1", Map.of("pids", pids, "memory", memory))), place);
    assertTrue(Cgroup.describe(place).startsWith("cgroup v1 (memory, pids) under"));
    assertEquals(Optional.empty(), Cgroup.find("0::/\n", Map.of()));
  }

  @Test
  void aCgroupThatADeadJvmLeftUnderItsNameIsPassedOver() throws Exception {
    // A JVM killed before it removed its cgroup left it, and this JVM's next names are taken.
    Path pids = cgroup(root.resolve("pids"), "");
    long next = Cgroup.COUNTER.get() + 1;
    for (long n = next; n < next + 3; n++) {
      Files.createDirectory(pids.resolve(Cgroup.prefix() + n));
    }
    Cgroup made =
        Cgroup.create(
            new Cgroup.Place("v1", Map.of("pids", pids)), new Sandbox.Limits(0, 64, -1, -1, 0));
    Path dir = made.dirs().getFirst();
    assertEquals(pids.resolve(Cgroup.prefix() + (next + 3)), dir);
    assertTrue(Files.isDirectory(dir));
  }

  @Test
  void leftoversOfJvmsThatAreGoneAreRemovedAndNothingElse() throws Exception {
    Path parent = Files.createDirectories(root.resolve("pids"));
    long dead = deadPid();
    long self = ProcessHandle.current().pid();
    String live = Cgroup.prefix() + "7";
    Instant old = Instant.now().minusSeconds(3600);
    Map<String, Boolean> kept =
        Map.of(
            "robojail-" + dead + "-5-1",
            false, // its JVM is gone
            "robojail-" + self + "-1-1",
            false, // its pid is this JVM's now, started later
            "robojail-" + dead + "-3",
            false, // an older robojail's name, its JVM gone
            live,
            true, // this JVM's
            "robojail-" + self + "-3",
            true, // an older name with a live pid: cannot tell
            "robojail-x-y",
            true, // not robojail's name
            "robojail-" + dead + "-9-9-9",
            true);
    for (String name : kept.keySet()) {
      Files.setLastModifiedTime(Files.createDirectory(parent.resolve(name)), FileTime.from(old));
    }
    Path young = Files.createDirectory(parent.resolve("robojail-" + dead + "-6-1"));
    Path populated = Files.createDirectory(parent.resolve("robojail-" + dead + "-7-1"));
    Files.writeString(populated.resolve("cgroup.procs"), "1\n");
    Files.setLastModifiedTime(populated, FileTime.from(old));

    Cgroup.removeLeftovers(parent, Instant.now());

    kept.forEach(
        (name, stays) -> assertEquals(stays, Files.isDirectory(parent.resolve(name)), name));
    assertTrue(Files.isDirectory(young), "one made a moment ago may be being set up");
    assertTrue(Files.isDirectory(populated), "the kernel removes only an empty cgroup");
  }

  private static long deadPid() {
    for (long pid = 4_000_000; pid > 300_000; pid -= 997) {
      if (ProcessHandle.of(pid).isEmpty()) {
        return pid;
      }
    }
    throw new IllegalStateException("no free pid number");
  }

  /**
   * A start whose spec has limits, on a JVM that cannot read where its cgroup goes, is refused in
   * one line: it never runs without the limits it asked for, as if the host had no cgroups.
   */
  @Test
  void aStartWithLimitsThatCannotReadWhereItsCgroupGoesIsRefused() {
    Sandbox.Limits limits =
        Sandbox.builder().processes(64).memory(64L << 20).command("/bin/true").build().limits();
    assertTrue(HostAhead.takePlace() == null, "nothing found ahead in this JVM");
    // loaded now: what is thrown under the limit
    assertTrue(SandboxException.class.getName() != null);
    RuntimeException refused =
        assertThrows(
            SandboxException.class,
            () -> dev.robojail.ffm.OutOfDescriptors.during(() -> Cgroup.create(limits)));
    assertTrue(
        refused.getMessage().startsWith("cannot start the sandbox: cannot read where its cgroup"),
        refused.getMessage());
    assertTrue(!refused.getMessage().contains("\n"), refused.getMessage());
    // the host's report, which makes no cgroup, says there is none to be found rather than fail
    assertEquals(Optional.empty(), dev.robojail.ffm.OutOfDescriptors.during(() -> Cgroup.find()));
  }

  /**
   * A mount point that is not UTF-8 (any user's FUSE or tmpfs mount) leaves the cgroups found as
   * they are: the mount table is read as bytes.
   */
  @Test
  void aMountPointThatIsNotUtf8LeavesTheCgroupsFound() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        dev.robojail.ffm.Syscalls.getuid() == 0, "mounts in the host's namespace: root only");
    Optional<Cgroup.Place> before = Cgroup.find();
    org.junit.jupiter.api.Assumptions.assumeTrue(before.isPresent(), "no cgroup here to lose");
    String dir = "/tmp/robojail-cgroup-test-\\377";
    assertEquals(
        0,
        sh(
            "mkdir -p \"$(printf '"
                + dir
                + "')\" && mount -t tmpfs none \"$(printf '"
                + dir
                + "')\""));
    try {
      assertTrue(
          Files.readString(
                  Path.of("/proc/self/mountinfo"), java.nio.charset.StandardCharsets.ISO_8859_1)
              .contains("robojail-cgroup-test-\u00ff"),
          "the kernel shows the byte as it is");
      assertEquals(before, Cgroup.find());
      assertEquals(before, Cgroup.findForStart());
    } finally {
      sh("umount \"$(printf '" + dir + "')\"; rmdir \"$(printf '" + dir + "')\"");
    }
  }

  private static int sh(String script) throws Exception {
    return new ProcessBuilder("/bin/sh", "-c", script).inheritIO().start().waitFor();
  }
}
