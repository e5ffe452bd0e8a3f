package dev.robojail.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real git repository for tests, made with the plain (unhardened) git, on branch {@code main},
 * with neither the system's nor the user's git configuration.
 */
public final class TestRepo {
  /** The work tree. */
  public final Path dir;

  private TestRepo(Path dir) {
    this.dir = dir;
  }

  /** Creates {@code dir} if needed and a repository in it, with an author set for commits. */
  public static TestRepo init(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    TestRepo repo = new TestRepo(dir);
    repo.git("init", "-q", "-b", "main");
    repo.git("config", "user.name", "Test");
    repo.git("config", "user.email", "test@example.invalid");
    repo.git("config", "commit.gpgsign", "false");
    return repo;
  }

  /** Writes {@code content} to {@code path} in the work tree, creating its parents. */
  public TestRepo write(String path, String content) {
    try {
      Path file = dir.resolve(path);
      Files.createDirectories(file.getParent());
      Files.writeString(file, content, StandardCharsets.UTF_8);
      return this;
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** Commits everything in the work tree; returns the new commit's id. */
  public String commit(String message) {
    git("add", "-A");
    git("commit", "-q", "-m", message);
    return git("rev-parse", "HEAD").strip();
  }

  /** Runs git in the work tree; returns its output (stdout and stderr). */
  public String git(String... args) {
    return run(dir, args);
  }

  /**
   * Runs git in {@code cwd}, without the system's and the user's configuration; returns its output
   * (stdout and stderr). A failure fails the test, with git's output.
   */
  public static String run(Path cwd, String... args) {
    List<String> command = new ArrayList<>(List.of("git", "-C", cwd.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(k -> k.startsWith("GIT_"));
    env.put("GIT_CONFIG_NOSYSTEM", "1");
    env.put("GIT_CONFIG_GLOBAL", "/dev/null");
    try {
      Process p = builder.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.waitFor() != 0) {
        throw new AssertionError("git " + String.join(" ", args) + " failed: " + out);
      }
      return out;
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
