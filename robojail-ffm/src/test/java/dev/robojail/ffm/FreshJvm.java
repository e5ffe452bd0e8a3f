package dev.robojail.ffm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
    return run(Duration.ofSeconds(60), jvm, classPath, main, args);
  }

  /**
   * {@link #run(List, List, Class, String...)}, which fails once it ran longer than {@code max}.
   */
  public static Output run(
      Duration max, List<String> jvm, List<Class<?>> classPath, Class<?> main, String... args)
      throws Exception {
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
    // Into a file, read once the JVM is gone: a pipe read to its end would wait as long as a hung
    // JVM holds it open, before the timeout could be seen.
    Path log = Files.createTempFile("fresh-jvm", ".out");
    try {
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .start();
      if (!p.waitFor(max.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly().waitFor();
        throw new AssertionError(
            main.getSimpleName() + " hung: " + Files.readString(log, StandardCharsets.UTF_8));
      }
      String out = Files.readString(log, StandardCharsets.UTF_8);
      assertEquals(0, p.exitValue(), out);
      return new Output(p.pid(), out.lines().filter(l -> !l.startsWith("WARNING:")).toList());
    } finally {
      Files.deleteIfExists(log);
    }
  }
}
