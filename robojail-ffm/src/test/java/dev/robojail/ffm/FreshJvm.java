package dev.robojail.ffm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A class's {@code main} in a JVM of its own, where every class is initialised for the first time:
 * for tests of what two threads meet once per JVM.
 */
public final class FreshJvm {
  private FreshJvm() {}

  /** What the JVM printed, its warnings left out, and its pid. */
  public record Output(long pid, List<String> lines) {}

  /**
   * Runs {@code main} with {@code args} in this JVM's runtime with the options {@code jvm}, on the
   * class path of where {@code classPath}'s classes come from; fails when it hangs or exits
   * non-zero.
   */
  public static Output run(
      List<String> jvm, List<Class<?>> classPath, Class<?> main, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElseThrow());
    command.addAll(jvm);
    command.add("-cp");
    List<String> path = new ArrayList<>();
    for (Class<?> c : classPath) {
      path.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
    }
    command.add(String.join(":", path));
    command.add(main.getName());
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(main.getSimpleName() + " hung: " + out);
    }
    assertEquals(0, p.exitValue(), out);
    return new Output(p.pid(), out.lines().filter(l -> !l.startsWith("WARNING:")).toList());
  }
}
