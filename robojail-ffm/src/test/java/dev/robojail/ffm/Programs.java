package dev.robojail.ffm;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Host programs a test drives (python3, script, bash). On a developer's machine without one the
 * test skips with the reason; with {@code CI=true} it fails, since {@code .ci/run} installs them
 * and a skip there would check nothing.
 */
public final class Programs {
  private Programs() {}

  /** Returns if {@code path} is executable; otherwise aborts the test, or fails it in CI. */
  public static void require(String path, String from) {
    if (Files.isExecutable(Path.of(path))) {
      return;
    }
    String missing = "needs " + path + " (" + from + ")";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail(missing + ", and CI=true: .ci/run installs it, so the test must run");
    }
    abort(missing);
  }
}
