package dev.robojail.testkit;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real agent packages ({@code @anthropic-ai/claude-code}, {@code @openai/codex}) that {@code
 * .ci/run} installs with {@code npm install --prefix target/agents} at the repository's root. Tests
 * find them under the system property {@code robojail.agents.dir}, by default that prefix; with
 * {@code CI=true} a missing package fails the test, otherwise it is skipped.
 */
public final class AgentPackages {
  private AgentPackages() {}

  /** The npm prefix the packages are installed under. */
  public static Path dir() {
    String property = System.getProperty("robojail.agents.dir");
    if (property != null && !property.isBlank()) {
      return Path.of(property).toAbsolutePath().normalize();
    }
    // The repository's root is the nearest directory above the module's with the Maven wrapper.
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    for (Path d = dir; d != null; d = d.getParent()) {
      if (Files.isRegularFile(d.resolve("mvnw"))) {
        return d.resolve("target/agents");
      }
    }
    return dir.resolve("target/agents");
  }

  /** Claude Code's program, as a real path (npm links it from node_modules/.bin). */
  public static Path claude() {
    return require("node_modules/.bin/claude", "@anthropic-ai/claude-code");
  }

  /** Codex's launcher (a node script needing its package's native binary next to it). */
  public static Path codex() {
    return require("node_modules/.bin/codex", "@openai/codex");
  }

  private static Path require(String relative, String pkg) {
    Path p = dir().resolve(relative);
    if (Files.isExecutable(p)) {
      try {
        return p.toRealPath();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    String missing =
        "needs the npm package "
            + pkg
            + " under "
            + dir()
            + " (.ci/run installs it: npm install --prefix target/agents ...)";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail(missing + ", and CI=true: the test must run");
    }
    abort(missing);
    return p;
  }
}
