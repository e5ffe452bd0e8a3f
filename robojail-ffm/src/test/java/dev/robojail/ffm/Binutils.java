package dev.robojail.ffm;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * GNU as and objcopy for the tests that reassemble the x86-64 routines. On a developer's machine
 * without binutils those tests skip with the reason; in CI (CI=true, as .ci/run has it, which
 * installs binutils) a missing tool fails them, because a skipped byte check checks nothing.
 */
final class Binutils {
  private Binutils() {}

  /** Returns if as and objcopy are on the PATH; otherwise aborts the test, or fails it in CI. */
  static void require() {
    if (onPath("as") && onPath("objcopy")) {
      return;
    }
    String missing = "GNU as and objcopy (binutils) not installed";
    if (inCi()) {
      fail(
          missing
              + ", and CI=true: the assembler tests must run in CI (.ci/run installs binutils)");
    }
    abort(missing);
  }

  private static boolean inCi() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
  }

  private static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }
}
