package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.jail.Dirs;
import dev.robojail.jail.Jails;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code robojail doctor} reads the layers off a real sandbox's own /proc/self/status. */
@Tag("namespace")
class DoctorTest {
  @Test
  void reportsEveryLayerFromARealSandbox(@TempDir Path tmp) {
    Dirs dirs = Dirs.resolve(Map.of("XDG_CONFIG_HOME", tmp.resolve("config").toString()), tmp);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Robojail.commandLine(() -> Jails.open(dirs, tmp));
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute("doctor");
    assertEquals(0, code, out + "\n" + err);
    for (String layer :
        new String[] {"namespaces", "no_new_privs", "seccomp filter", "capabilities", "landlock"}) {
      assertTrue(
          out.toString().lines().anyMatch(l -> l.startsWith(layer) && l.contains(" ok ")),
          layer + " in\n" + out);
    }
    // robojail-init is reported, as ok or warn, but never as a failure
    assertTrue(
        out.toString().lines().anyMatch(l -> l.matches("init +(ok|warn) .*")), "init in\n" + out);
    // so is whether sandboxes get a cgroup for their process and memory limits
    assertTrue(
        out.toString().lines().anyMatch(l -> l.matches("cgroup +(ok|warn) .*")),
        "cgroup in\n" + out);
    assertTrue(err.toString().isEmpty(), "nothing on stderr: " + err);
  }
}
