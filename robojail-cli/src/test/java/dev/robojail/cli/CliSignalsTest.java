package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.testkit.TestWorld;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A robojail started with signals ignored (by {@code nohup}, or as a background job of a script)
 * hands none of that to the jail: inside, Ctrl-C, a hang-up and quit act as they would anywhere.
 */
class CliSignalsTest {
  // SIGHUP, SIGINT and SIGQUIT, as bits of /proc/PID/status's SigIgn.
  private static final long HUP_INT_QUIT = 0x7;

  @TempDir Path tmp;

  @Test
  @NeedsUserNamespaces
  void signalsTheCallerIgnoresAreNotIgnoredInsideTheJail() throws Exception {
    TestWorld world = TestWorld.in(tmp);
    MainProcess robojail = new MainProcess(world);
    Path repo = world.repo("repo").dir;
    assertEquals(0, robojail.run("create", "--name", "s", "--repo", repo.toString()).code());

    // The wrapper really ignores them, through exec: without the reset the jail inherits this.
    // (This JVM's launcher may ignore more, such as signals 32 and 33: that is passed on too.)
    long outside = ignoring(robojail, List.of("grep", "SigIgn", "/proc/self/status"));
    assertEquals(HUP_INT_QUIT, outside & HUP_INT_QUIT, Long.toHexString(outside));

    List<String> run = robojail.javaCommand(Map.of());
    run.addAll(List.of("run", "s", "--", "grep", "SigIgn", "/proc/self/status"));
    assertEquals(0, ignoring(robojail, run), "no signal is ignored in the jail");
  }

  // Runs command with SIGHUP, SIGINT and SIGQUIT ignored, as nohup and script's & leave them.
  private long ignoring(MainProcess robojail, List<String> command) throws Exception {
    List<String> wrapped =
        new ArrayList<>(List.of("sh", "-c", "trap '' INT HUP QUIT; exec \"$@\"", "sh"));
    wrapped.addAll(command);
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    Process p = robojail.start(wrapped, Map.of(), out, err);
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not end");
    }
    assertEquals(0, p.exitValue(), Files.readString(err));
    String line = Files.readString(out).strip();
    assertTrue(line.startsWith("SigIgn:\t"), line);
    return Long.parseUnsignedLong(line.substring("SigIgn:\t".length()), 16);
  }
}
