package dev.robojail.sandbox;

import static dev.robojail.sandbox.Jailed.base;
import static dev.robojail.sandbox.Jailed.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.robojail.ffm.Errno;
import dev.robojail.ffm.InitBinary;
import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.ffm.Procfs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks on the kernel's surface from inside a real sandbox, as the host's root and as an
 * unprivileged user alike: proc's write surfaces and leaks, setuid files planted for the host, and
 * reaching into PID 1 the way ptrace would.
 */
@NeedsUserNamespaces
class KernelSurfaceTest {
  @BeforeAll
  static void needsUserNamespaces() {}

  @Test
  void procsWriteSurfacesAreReadOnlyEvenForTheHostsRoot() throws Exception {
    List<String> sysctls = List.of("vm/stat_interval", "kernel/core_pattern");
    Map<String, String> before = new HashMap<>();
    for (String s : sysctls) {
      before.put(s, Procfs.sysctl(s).orElseThrow());
    }
    // O_TRUNC on a regular file asks the mount first: EROFS whoever writes, so the answer shows
    // the mount's protection and not just a file mode.
    String script =
        "for f in /proc/sys/vm/stat_interval /proc/sys/kernel/core_pattern /proc/sysrq-trigger"
            + " /proc/sys/net/ipv4/ip_forward; do"
            + "  if ! test -e $f; then echo \"absent $f\"; elif (echo 7 > $f) 2>/dev/null; then"
            + " echo \"WROTE $f\"; else"
            + "  (echo 7 > $f) 2>&1 | grep -q 'Read-only file system' && echo \"ro $f\""
            + " || echo \"OTHER $f\"; fi; done";
    StringBuilder expected = new StringBuilder();
    for (String f :
        List.of(
            "/proc/sys/vm/stat_interval",
            "/proc/sys/kernel/core_pattern",
            "/proc/sysrq-trigger",
            "/proc/sys/net/ipv4/ip_forward")) {
      // the same kernel, so the same files (sysrq-trigger needs CONFIG_MAGIC_SYSRQ)
      expected.append(Files.exists(Path.of(f)) ? "ro " : "absent ").append(f).append('\n');
    }
    assertTrue(
        expected.toString().startsWith("ro /proc/sys/vm/stat_interval\nro"), expected.toString());
    for (Sandbox.Builder b : List.of(base(), base().rootInside(), base().network(true))) {
      String out = sh(b, script);
      assertEquals(expected.toString(), out);
    }
    for (String s : sysctls) {
      assertEquals(before.get(s), Procfs.sysctl(s).orElseThrow(), s + " on the host");
    }
    // still readable: programs read their limits there
    assertEquals(
        Procfs.sysctl("kernel/cap_last_cap").orElseThrow() + "\n",
        sh(base(), "cat /proc/sys/kernel/cap_last_cap"));
  }

  @Test
  void whatContainerRuntimesMaskReadsEmpty() throws Exception {
    List<String> files =
        SetupPlan.PROC_MASKED_FILES.stream()
            .filter(f -> Files.exists(Path.of("/proc", f)))
            .toList();
    assertTrue(files.contains("timer_list"), files.toString());
    StringBuilder script = new StringBuilder();
    for (String f : files) {
      script.append("echo ").append(f).append(" $(cat /proc/").append(f).append(" | wc -c);");
    }
    for (String d : SetupPlan.PROC_MASKED_DIRS) {
      if (Files.isDirectory(Path.of("/proc", d))) {
        script.append("echo ").append(d).append(" $(ls -A /proc/").append(d).append(" | wc -l);");
      }
    }
    // what is written to a masked file goes nowhere
    script.append("echo x > /proc/timer_list; cat /proc/timer_list | wc -c");
    for (Sandbox.Builder b : List.of(base(), base().rootInside())) {
      String out = sh(b, script.toString());
      List<String> lines = out.lines().toList();
      for (String line : lines.subList(0, lines.size() - 1)) {
        assertTrue(line.endsWith(" 0"), "masked, so empty: " + line + " in\n" + out);
      }
      assertEquals("0", lines.getLast(), "a masked file stays empty: " + out);
    }
  }

  @Test
  void noSetuidOrSetgidFileCanBePlantedForTheHost(@TempDir Path dir) throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs /usr/bin/python3");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    Map<String, Integer> errno = python(base().bind(dir, "/work").workingDirectory("/work"));
    for (String call :
        List.of(
            "chmod_setuid",
            "chmod_setgid",
            "fchmod_setuid",
            "fchmodat_setuid",
            "fchmodat2_setuid",
            "open_creat_setuid",
            "openat_creat_setgid",
            "openat_tmpfile_setuid",
            "creat_setuid",
            "mknod_setuid",
            "mknodat_setuid")) {
      assertEquals(Errno.EPERM, errno.get(call), call + " in " + errno);
    }
    assertEquals(0, errno.get("chmod_plain"), errno.toString());
    assertEquals(0, errno.get("openat_creat_plain"), errno.toString());
    assertEquals(0, errno.get("mkdir_setgid"), "setgid directories are harmless: " + errno);
    assertEquals(Errno.ENOSYS, errno.get("openat2"), errno.toString());
    assertNothingSetuidUnder(dir);
  }

  @Test
  void theUsualToolsCannotSetTheBitsEither(@TempDir Path dir) throws Exception {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    String script =
        "cp /bin/sh a; chmod 4755 a 2>/dev/null || echo chmod-refused;"
            + " chmod u+s,g+s a 2>/dev/null || echo symbolic-refused;"
            + " install -m 4755 /bin/sh b 2>/dev/null || echo install-refused;"
            + " tar --mode=6755 -cf t.tar a && mkdir x && tar -xpf t.tar -C x 2>/dev/null;"
            // a setuid program of the host's, copied keeping its mode (sh where there is none)
            + " s=$(find /usr/bin -perm -4000 -type f | head -n 1); cp -p ${s:-/bin/sh} c 2>/dev/null;"
            + " stat -c %a a b x/a c | grep -c '^[0-7][0-7][0-7]$'";
    for (Sandbox.Builder b : List.of(base(), base().rootInside())) {
      String out = sh(b.bind(dir, "/work").workingDirectory("/work"), script);
      assertEquals(
          "chmod-refused\nsymbolic-refused\ninstall-refused\n4\n", out, "no mode has 4 digits");
      assertNothingSetuidUnder(dir);
      sh(base().bind(dir, "/work").workingDirectory("/work"), "rm -rf a b c t.tar x");
    }
  }

  @Test
  void nothingReachesIntoTheInitAsPtraceWould() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs /usr/bin/python3");
    assumeTrue(InitBinary.fd() >= 0, "PID 1 is the init only where it can be executed");
    Map<String, Integer> errno =
        python(base().tmpfs("/work", 1 << 20, 0777).workingDirectory("/work"));
    assertEquals(0, errno.get("pidfd_open_1"), "the init is there to aim at: " + errno);
    for (String call : List.of("pidfd_getfd", "kcmp", "process_madvise")) {
      assertEquals(Errno.EPERM, errno.get(call), call + " in " + errno);
    }
    // The init is not dumpable: its memory needs CAP_SYS_PTRACE. The command, exec'd afresh, is.
    assertEquals(Errno.EACCES, errno.get("mem_1_write"), errno.toString());
    assertEquals(Errno.EACCES, errno.get("mem_1_read"), errno.toString());
    assertEquals(0, errno.get("mem_self"), errno.toString());
  }

  @Test
  void noCloneOfAMountShowsWhatItsCoversHideNorWritesThroughAReadOnlyBind(@TempDir Path dir)
      throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs /usr/bin/python3");
    Path work = Files.createDirectory(dir.resolve("work"));
    Path ro = Files.createDirectory(dir.resolve("ro"));
    Files.writeString(work.resolve("secret"), "what a hidden path holds");
    // Root inside holds CAP_SYS_ADMIN over the mount namespace, whose mounts it therefore may
    // clone: open_tree_attr (Linux 6.15) did, without its submounts, and so without the covers.
    // A nested namespace's copies of the mounts are locked by the kernel instead.
    for (Sandbox.Builder b :
        List.of(
            base(),
            base().rootInside(),
            base().allowUserNamespaces(true),
            base().rootInside().allowUserNamespaces(true))) {
      b.bind(work, "/work").mount(new Mount.Cover("/work/secret", false)).readOnlyBind(ro, "/ro");
      Map<String, Integer> errno = Jailed.pythonErrnos(b, "mount_escape.py");
      String spec = b.build().security() + "\n" + errno;
      assertEquals(61, errno.get("secret_direct"), "the cover is there (ENODATA): " + spec);
      for (String call : List.of("clone", "clone_rw", "umount_cover", "mount_bind")) {
        assertEquals(Errno.EPERM, errno.get(call), call + " in " + spec);
      }
      assertFalse(errno.containsKey("secret_through_clone"), spec);
      boolean nested = b.build().security().allowUserNamespaces();
      assertEquals(nested ? 0 : Errno.EPERM, errno.get("nested_unshare"), spec);
      if (nested) {
        for (String call :
            List.of(
                "nested_clone", "nested_clone_rw", "nested_umount_cover", "nested_mount_bind")) {
          assertEquals(Errno.EPERM, errno.get(call), call + " in " + spec);
        }
      }
    }
    assertFalse(Files.exists(ro.resolve("planted")), "nothing was written through /ro");
  }

  private static Map<String, Integer> python(Sandbox.Builder b) throws Exception {
    return Jailed.pythonErrnos(b, "setuid_and_ptrace.py");
  }

  private static void assertNothingSetuidUnder(Path dir) throws Exception {
    List<String> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.toList()) {
        int mode =
            (Integer) Files.getAttribute(f, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        if ((mode & 06000) != 0 && !Files.isDirectory(f)) {
          found.add(f + " " + Integer.toOctalString(mode));
        }
      }
    }
    assertFalse(!found.isEmpty(), "setuid or setgid on the host: " + found);
  }
}
