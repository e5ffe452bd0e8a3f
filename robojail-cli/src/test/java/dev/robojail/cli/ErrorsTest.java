package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.testkit.TestWorld;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An error is one line on standard error; {@code ROBOJAIL_DEBUG=1} adds the stack trace after that
 * line. The variable is read from the real environment, so these run {@link Main} in a JVM of its
 * own.
 */
class ErrorsTest {
  @TempDir Path tmp;

  @Test
  void anErrorIsOneLineWithoutRobojailDebug() throws Exception {
    Result r = new MainProcess(TestWorld.in(tmp)).run("status", "no-such-jail");
    assertEquals(3, r.code(), r.err());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().startsWith("robojail: "), r.err());
    assertTrue(r.err().contains("no-such-jail"), r.err());
  }

  @Test
  void robojailDebugAddsTheStackTraceAfterTheSameLine() throws Exception {
    MainProcess robojail = new MainProcess(TestWorld.in(tmp));
    Result plain = robojail.run("status", "no-such-jail");
    Result debug = robojail.run(Map.of("ROBOJAIL_DEBUG", "1"), "status", "no-such-jail");
    assertEquals(plain.code(), debug.code(), debug.err());
    List<String> lines = debug.err().lines().toList();
    assertEquals(plain.err().strip(), lines.getFirst(), debug.err());
    assertStackTrace(lines, debug.err());
  }

  @Test
  void aUsageErrorIsOneLineAndRobojailDebugAddsItsStackTrace() throws Exception {
    MainProcess robojail = new MainProcess(TestWorld.in(tmp));
    Result plain = robojail.run("list", "--no-such-option");
    assertEquals(2, plain.code(), plain.err());
    assertEquals(1, plain.err().lines().count(), plain.err());
    assertTrue(plain.err().startsWith("robojail: "), plain.err());

    Result debug = robojail.run(Map.of("ROBOJAIL_DEBUG", "1"), "list", "--no-such-option");
    assertEquals(2, debug.code(), debug.err());
    List<String> lines = debug.err().lines().toList();
    assertEquals(plain.err().strip(), lines.getFirst(), debug.err());
    assertStackTrace(lines, debug.err());
  }

  /** After the message: the exception's own line, then frames ("\tat ..."). */
  private static void assertStackTrace(List<String> lines, String err) {
    assertTrue(lines.size() > 2, err);
    assertTrue(lines.get(1).contains("Exception"), err);
    assertTrue(lines.stream().skip(2).anyMatch(l -> l.startsWith("\tat ")), err);
  }
}
