package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.ffm.Programs;
import dev.robojail.testkit.TestWorld;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code robojail doctor} reads the layers off a real sandbox's own /proc/self/status. */
@NeedsUserNamespaces
class DoctorTest {
  @Test
  void reportsEveryLayerFromARealSandbox(@TempDir Path tmp) {
    Result r = InProcess.run(TestWorld.in(tmp), "doctor");
    String out = r.out();
    String err = r.err();
    assertEquals(0, r.code(), out + "\n" + err);
    for (String layer :
        new String[] {"namespaces", "no_new_privs", "seccomp filter", "capabilities", "landlock"}) {
      assertTrue(
          out.lines().anyMatch(l -> l.startsWith(layer) && l.contains(" ok ")),
          layer + " in\n" + out);
    }
    // robojail-init is reported, as ok or warn, but never as a failure
    assertTrue(out.lines().anyMatch(l -> l.matches("init +(ok|warn) .*")), "init in\n" + out);
    assertTrue(out.lines().anyMatch(l -> l.matches("kernel +info .*")), "kernel in\n" + out);
    // so is whether sandboxes get a cgroup for their process and memory limits
    assertTrue(out.lines().anyMatch(l -> l.matches("cgroup +(ok|warn) .*")), "cgroup in\n" + out);
    assertTrue(err.isEmpty(), "nothing on stderr: " + err);
  }

  @Test
  void showsVersionJavaGitPathsAndWarnsAsRoot(@TempDir Path tmp) throws Exception {
    TestWorld world = TestWorld.in(tmp);
    Result r = InProcess.run(world, "doctor");
    String out = r.out();
    assertEquals(0, r.code(), out + "\n" + r.err());
    assertTrue(out.lines().anyMatch(l -> l.matches("robojail +info " + Robojail.VERSION)), out);
    assertTrue(
        out.lines().anyMatch(l -> l.startsWith("java ") && l.contains(Runtime.version() + " (")),
        out);
    assertTrue(out.lines().anyMatch(l -> l.matches("git +ok +git version 2\\..*")), out);
    String paths = out.lines().filter(l -> l.startsWith("paths ")).findFirst().orElseThrow();
    assertTrue(paths.contains("config " + world.dirs().configFile()), paths);
    assertTrue(paths.contains("data " + world.dirs().dataDir()), paths);
    String user = out.lines().filter(l -> l.startsWith("user ")).findFirst().orElseThrow();
    int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    if (uid == 0) {
      assertTrue(user.matches("user +warn running as root: .*uid 0 inside.*"), user);
    } else {
      assertTrue(user.matches("user +ok +uid " + uid + ", .*"), user);
    }
  }

  @Test
  void aConfigFileThatCannotBeReadIsAFailedCheck(@TempDir Path tmp) {
    TestWorld world = TestWorld.in(tmp).config("network_enabled = \"maybe\"\n");
    Result r = InProcess.run(world, "doctor");
    assertEquals(4, r.code(), r.out() + "\n" + r.err()); // 4: doctor found problems
    String configLine =
        r.out().lines().filter(l -> l.startsWith("config ")).findFirst().orElseThrow();
    assertTrue(configLine.matches("config +FAIL .*config.toml:1.*network_enabled.*"), configLine);
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().startsWith("robojail: doctor found problems: config: "), r.err());
    // one FAIL for the file, not one more for each check that needs it
    assertEquals(1, r.out().lines().filter(l -> l.contains(" FAIL ")).count(), r.out());
    assertEquals(1, r.err().split("config.toml:1").length - 1, r.err());
    assertTrue(r.out().lines().anyMatch(l -> l.matches("state +info not read .*")), r.out());
    assertTrue(
        r.out().lines().anyMatch(l -> l.matches("paths +info config .*config.toml \\(invalid\\)")),
        r.out());
  }

  /**
   * The kernel's errno becomes the setting to change: in a user namespace of its own whose limit of
   * user namespaces is 0 (a limit its owner may set), the sandbox's clone3 fails with ENOSPC, and
   * doctor names user.max_user_namespaces and the command that raises it.
   */
  @Test
  void enospcFromClone3BecomesTheSysctlToRaise(@TempDir Path tmp) throws Exception {
    Programs.require("/usr/bin/unshare", "util-linux");
    MainProcess main = new MainProcess(TestWorld.in(tmp));
    List<String> command =
        new ArrayList<>(
            List.of(
                "/usr/bin/unshare",
                "--user",
                "--map-root-user",
                "/bin/sh",
                "-c",
                "echo 0 >/proc/sys/user/max_user_namespaces && exec \"$@\"",
                "sh"));
    command.addAll(main.javaCommand(Map.of()));
    command.add("doctor");
    Path out = tmp.resolve("out");
    Path err = tmp.resolve("err");
    Process p = main.start(command, Map.of(), out, err);
    assertTrue(p.waitFor(2, TimeUnit.MINUTES), "doctor did not end");
    String printed = Files.readString(out);
    assertEquals(4, p.exitValue(), printed + Files.readString(err));
    String namespaces =
        printed.lines().filter(l -> l.startsWith("namespaces ")).findFirst().orElseThrow();
    assertTrue(namespaces.matches("namespaces +FAIL .*clone3.*ENOSPC.*"), namespaces);
    assertTrue(
        namespaces.contains("user.max_user_namespaces = 0")
            && namespaces.contains("sudo sysctl user.max_user_namespaces="),
        namespaces);
  }

  @Test
  void bindsThatWorkPassAndABindThatWouldFailEveryRunIsAFailedCheck(@TempDir Path tmp)
      throws java.io.IOException {
    TestWorld world = TestWorld.in(tmp);
    java.nio.file.Files.writeString(world.home().resolve("notes.txt"), "x\n");
    // A read-write single-file bind once failed every run (landlock_add_rule: EINVAL).
    world.config("extra_rw_binds = [\"~/notes.txt\"]\nextra_ro_binds = [\"~/notes.txt:/srv/n\"]\n");
    Result ok = InProcess.run(world, "doctor");
    assertEquals(0, ok.code(), ok.out() + "\n" + ok.err());
    assertTrue(ok.out().lines().noneMatch(l -> l.startsWith("binds")), ok.out());
    world.config("extra_ro_binds = [\"~/gone:/srv/gone\"]\n");
    Result bad = InProcess.run(world, "doctor");
    assertEquals(4, bad.code(), bad.out() + "\n" + bad.err());
    assertTrue(bad.out().lines().anyMatch(l -> l.matches("binds +FAIL .*gone.*")), bad.out());
  }
}
