package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.sandbox.Stdio;
import dev.robojail.testkit.TestWorld;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * robojail builds itself in a jail, as an agent working on a Java project would first do: a jail of
 * a fresh clone of this checkout, with the default configuration and network, runs {@code ./mvnw -B
 * -DskipTests package}; the wrapper fetches Maven and Maven fetches every plugin and dependency
 * from Maven Central into the jail's empty home. Slow and online, so it is kept out of the default
 * run (tag {@code selfbuild}): {@code .ci/self-build} runs it.
 */
@Tag("selfbuild")
class SelfBuildTest {
  @TempDir Path tmp;

  /**
   * The checkout under test: {@code -Drobojail.checkout}, or the nearest directory above the
   * working directory with mvnw and .git.
   */
  static Path checkout() {
    String given = System.getProperty("robojail.checkout");
    if (given != null) {
      return Path.of(given);
    }
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.isExecutable(d.resolve("mvnw")) && Files.exists(d.resolve(".git"))) {
        return d;
      }
    }
    throw new AssertionError(
        "no checkout with mvnw and .git above " + Path.of("").toAbsolutePath());
  }

  @Test
  void robojailBuildsItselfInAJailWithTheDefaultConfiguration() throws Exception {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
    Path home = Files.createDirectories(tmp.resolve("home"));
    // A clone, so that the build under test is not disturbed; it has HEAD's commits only.
    Path clone = tmp.resolve("robojail");
    // Run as another user (nobody) the checkout is not its own, and git wants to be told (in a
    // global config: it ignores safe.directory on the command line).
    Path gitConfig = Files.writeString(tmp.resolve("gitconfig"), "[safe]\n\tdirectory = *\n");
    ProcessBuilder clonePb =
        new ProcessBuilder(
                "git", "clone", "-q", "--no-hardlinks", checkout().toString(), clone.toString())
            .inheritIO();
    clonePb.environment().put("GIT_CONFIG_GLOBAL", gitConfig.toString());
    Process git = clonePb.start();
    assertTrue(git.waitFor(5, TimeUnit.MINUTES));
    assertEquals(0, git.exitValue(), "git clone");

    Jails jails = Jails.open(TestWorld.in(tmp).dirs(), home);
    JailState jail = jails.create("self", clone);
    Path log = tmp.resolve("build.log");
    Instant start = Instant.now();
    int status =
        jails.run(
            "self",
            List.of("./mvnw", "-B", "-DskipTests", "package"),
            false,
            b -> b.stdin(Stdio.discard()).stdout(Stdio.file(log)).redirectErrorStream(true));
    Duration took = Duration.between(start, Instant.now());
    String output = Files.readString(log, StandardCharsets.UTF_8);
    System.out.println(
        "self-build in a jail: exit " + status + " after " + took.toSeconds() + " s");
    assertEquals(0, status, tail(output));
    assertTrue(output.contains("BUILD SUCCESS"), tail(output));
    try (var jars = Files.list(jail.worktree().resolve("robojail-cli/target"))) {
      assertTrue(jars.anyMatch(p -> p.toString().endsWith(".jar")), "no robojail-cli jar");
    }
    jails.destroy("self", true);
  }

  private static String tail(String output) {
    List<String> lines = output.lines().toList();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
  }
}
