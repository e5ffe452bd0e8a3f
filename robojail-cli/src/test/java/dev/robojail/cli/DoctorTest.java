package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.testkit.TestWorld;
import java.nio.file.Path;
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
    assertTrue(err.isEmpty(), "nothing on stderr: " + err);
  }
}
