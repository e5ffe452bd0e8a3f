package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.ffm.Syscalls;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Sandbox API is usable without the jail's dependencies: README tells library users who only
 * want {@code Sandbox} to exclude Jackson and tomlj, and this runs a sandbox from a JVM that has
 * neither on its class path.
 */
@NeedsUserNamespaces
class SandboxAloneTest {
  @Test
  void aSandboxRunsWithOnlyFfmAndCoreOnTheClassPath() throws Exception {
    String cp = TestJvm.classPath(SandboxAloneMain.class, Sandbox.class, Syscalls.class);
    Process p =
        new ProcessBuilder(
                TestJvm.java(),
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                cp,
                SandboxAloneMain.class.getName())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    assertEquals(
        List.of(
            "absent: tools.jackson.databind.ObjectMapper",
            "absent: tools.jackson.core.JsonParser",
            "absent: org.tomlj.Toml",
            "inside pid 2",
            "exit 0"),
        out.lines().toList(),
        out);
  }
}
