package dev.robojail.jail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** A real git repository for tests, made with the plain (unhardened) git. */
final class TestRepo {
  final Path dir;

  private TestRepo(Path dir) {
    this.dir = dir;
  }

  static TestRepo init(Path dir) {
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

  TestRepo write(String path, String content) {
    try {
      Path file = dir.resolve(path);
      Files.createDirectories(file.getParent());
      Files.writeString(file, content, StandardCharsets.UTF_8);
      return this;
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  String commit(String message) {
    git("add", "-A");
    git("commit", "-q", "-m", message);
    return git("rev-parse", "HEAD").strip();
  }

  String git(String... args) {
    return run(dir, args);
  }

  static String run(Path cwd, String... args) {
    List<String> command = new java.util.ArrayList<>(List.of("git", "-C", cwd.toString()));
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

  /** Makes a jail worktree the way robojail does and returns its state. */
  JailState jail(Git git, Path jailsDir, String name) {
    String base = git.revParse(dir, "HEAD");
    Path worktree = jailsDir.resolve(name);
    String branch = "robojail/" + name;
    Path gitDir = git.worktreeAdd(dir, worktree, branch, base);
    return new JailState(
        JailName.of(name), dir, branch, base, worktree, gitDir, Instant.now(), List.of(), null);
  }
}
