package dev.robojail.cli;

import dev.robojail.ffm.Await;
import dev.robojail.testkit.TestWorld;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The {@code robojail} command run through {@link Main} in a JVM of its own, in a {@link TestWorld}
 * whose HOME and XDG directories are passed the way a user's shell passes them. For what only the
 * real entry point shows (environment variables such as {@code ROBOJAIL_DEBUG}, the exit status
 * given to {@code System.exit}), and so that these tests need nothing of the library's Java API.
 */
final class MainProcess {
  private final Path dir;
  private final Map<String, String> env = new LinkedHashMap<>();

  /** Runs in {@code world}: its HOME and XDG directories, its root for the output files. */
  MainProcess(TestWorld world) {
    this.dir = world.root();
    env.putAll(System.getenv());
    // Nothing of the caller's robojail or git setup may leak in.
    env.keySet().removeIf(k -> k.startsWith("ROBOJAIL_") || k.startsWith("GIT_"));
    env.putAll(world.env());
  }

  Result run(String... args) throws Exception {
    return run(Map.of(), args);
  }

  Result run(Map<String, String> extraEnv, String... args) throws Exception {
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    Process p = start(extraEnv, out, err, args);
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("robojail " + String.join(" ", args) + " did not end");
    }
    return new Result(
        p.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  /**
   * Starts a session of jail {@code name} that keeps it running (a shell that waits) and returns
   * once it runs, so that later commands find the jail running; its output goes to files in {@code
   * dir}. The caller ends it.
   */
  Process startRunning(String name, Path worktree, Path dir) throws Exception {
    Process p =
        start(
            Map.of(),
            Files.createTempFile(dir, "first", ".out"),
            Files.createTempFile(dir, "first", ".err"),
            "run",
            name,
            "--",
            "sh",
            "-c",
            "touch running; exec sleep 600");
    Await.until("the jail running", () -> Files.exists(worktree.resolve("running")));
    return p;
  }

  /** Starts robojail without waiting, its output going to {@code out} and {@code err}. */
  Process start(Map<String, String> extraEnv, Path out, Path err, String... args)
      throws IOException {
    List<String> command = javaCommand(extraEnv);
    command.addAll(List.of(args));
    return start(command, extraEnv, out, err);
  }

  /** Starts {@code command} (e.g. a wrapper around {@link #javaCommand}) in this environment. */
  Process start(List<String> command, Map<String, String> extraEnv, Path out, Path err)
      throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .redirectInput(new File("/dev/null"))
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
    pb.environment().clear();
    pb.environment().putAll(env);
    pb.environment().putAll(extraEnv);
    return pb.start();
  }

  /** The {@code java … Main} command, without robojail's arguments. */
  List<String> javaCommand(Map<String, String> extraEnv) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElseThrow());
    command.add("--enable-native-access=ALL-UNNAMED");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-XX:+UseSerialGC");
    // As nobody the default /tmp may not be writable: the same temporary directory as this JVM.
    command.add(
        "-Djava.io.tmpdir="
            + extraEnv.getOrDefault("TMPDIR", System.getProperty("java.io.tmpdir")));
    command.add("-cp");
    command.add(classPath());
    command.add(Main.class.getName());
    return command;
  }

  /**
   * This JVM's class path, whatever started it: surefire hands it over in a manifest-only jar, the
   * console launcher (the as-nobody pass) in a class loader of its own, so java.class.path names
   * neither. Every jar has a manifest, and the classes directories hold dev/robojail.
   */
  static String classPath() throws IOException {
    Set<String> entries = new LinkedHashSet<>();
    ClassLoader loader = MainProcess.class.getClassLoader();
    for (String marker : List.of("dev/robojail/", "META-INF/MANIFEST.MF")) {
      for (URL url : Collections.list(loader.getResources(marker))) {
        String s = url.toString();
        if (s.startsWith("jar:file:")) {
          entries.add(Path.of(URI.create(s.substring(4, s.indexOf("!/")))).toString());
        } else if (s.startsWith("file:")) {
          entries.add(Path.of(URI.create(s.substring(0, s.length() - marker.length()))).toString());
        }
      }
    }
    return String.join(File.pathSeparator, entries);
  }
}
