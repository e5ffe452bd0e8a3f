package dev.robojail.sandbox;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Started in a JVM of its own by {@link SandboxTest}: runs a command that cleans up on SIGTERM,
 * linked to this JVM's shutdown, and waits.
 */
public final class EndWithJvmMain {
  private EndWithJvmMain() {}

  public static void main(String[] args) throws Exception {
    SandboxProcess p =
        Sandbox.builder()
            .minimalSystem()
            .bind(Path.of(args[0]), "/out")
            .command(
                "/bin/sh",
                "-c",
                "trap 'echo cleaned-up > /out/term; exit 0' TERM; sleep 100 & touch /out/started; wait")
            .start();
    try (var _ = p.endWithJvm(Duration.ofSeconds(10))) {
      System.out.println("linked");
      System.out.flush();
      System.exit(p.waitFor());
    }
  }
}
