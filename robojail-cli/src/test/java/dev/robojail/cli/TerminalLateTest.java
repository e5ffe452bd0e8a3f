package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.ffm.Programs;
import dev.robojail.testkit.TestWorld;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run} and {@code exec} ask whether a standard stream is a terminal, and open the relay (raw
 * mode), only once the jail is found and prepared, on a real terminal made by {@code script(1)}: a
 * jail that is missing or not running never touches the terminal, and a relay opened that late is
 * closed when the start fails.
 */
class TerminalLateTest {
  @TempDir Path tmp;
  private TestWorld world;
  private MainProcess robojail;

  @BeforeEach
  void world() throws Exception {
    Programs.require("/usr/bin/script", "script(1), Debian's bsdutils");
    Programs.require("/bin/bash", "bash");
    world = TestWorld.in(tmp);
    robojail = new MainProcess(world);
  }

  // As a background job of a shell with job control: a process that sets the modes of its
  // terminal from there is stopped (SIGTTOU), so a run that touched the terminal before finding
  // that the jail is missing would stop rather than say so.
  @Test
  void runOfAMissingJailSaysSoInOneLineAndNeverTouchesTheTerminal() throws Exception {
    Result plain = robojail.run("run", "nosuch", "--", "true");
    assertEquals("robojail: no jail named nosuch\n", plain.err());
    assertBackgroundOnTerminalEndsAs(plain, "run", "nosuch", "--", "true");
  }

  @Test
  void execIntoAStoppedJailSaysSoInOneLineAndNeverTouchesTheTerminal() throws Exception {
    Path repo = world.repo("repo").dir;
    assertEquals(0, robojail.run("create", "--name", "j", "--repo", repo.toString()).code());
    Result plain = robojail.run("exec", "j", "--", "true");
    assertEquals(1, plain.err().lines().count(), plain.err());
    assertTrue(plain.err().contains("jail j is not running"), plain.err());
    assertBackgroundOnTerminalEndsAs(plain, "exec", "j", "--", "true");
  }

  private void assertBackgroundOnTerminalEndsAs(Result plain, String... args) throws Exception {
    List<String> command = new ArrayList<>(robojail.javaCommand(Map.of()));
    command.addAll(List.of(args));
    Path err = tmp.resolve("err");
    String script =
        String.join(
            "\n",
            "stty -g > " + tmp.resolve("before"),
            "set -m",
            shellLine(command) + " 2> " + err + " &",
            "wait $!",
            "echo rc=$?",
            "stty -g > " + tmp.resolve("after"));
    String screen = onTerminal(script);
    assertTrue(screen.contains("rc=" + plain.code() + "\r"), screen);
    assertEquals(plain.err(), Files.readString(err));
    assertEquals(Files.readString(tmp.resolve("before")), Files.readString(tmp.resolve("after")));
  }

  // The start fails in the child (no such command), after the relay made the terminal raw: the
  // modes are back before the call returns, not only by the shutdown hook as the JVM exits.
  @Test
  @NeedsUserNamespaces
  void aRelayOpenedLateIsClosedWhenTheStartFails() throws Exception {
    Path repo = world.repo("repo").dir;
    assertEquals(0, robojail.run("create", "--name", "j", "--repo", repo.toString()).code());
    List<String> command = new ArrayList<>(robojail.javaCommand(Map.of()));
    command.set(command.size() - 1, JailsOnTerminalMain.class.getName());
    command.addAll(List.of("j", "/no/such/command"));
    String screen = onTerminal(shellLine(command));
    assertTrue(screen.contains("[CommandNotFound, modes restored]"), screen);
  }

  /** What {@code script} shows of {@code bash} running {@code script} on a terminal of its own. */
  private String onTerminal(String script) throws Exception {
    Path file = tmp.resolve("on-terminal.sh");
    Files.writeString(file, script + "\n");
    Path screen = tmp.resolve("screen");
    Process p =
        robojail.start(
            List.of("/usr/bin/script", "-qefc", "/bin/bash " + file, "/dev/null"),
            Map.of(),
            screen,
            tmp.resolve("screen.err"));
    try {
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), Files.readString(screen));
    } finally {
      p.destroyForcibly();
    }
    return Files.readString(screen);
  }

  private static String shellLine(List<String> command) {
    StringBuilder line = new StringBuilder();
    for (String arg : command) {
      line.append(line.isEmpty() ? "" : " ").append('\'').append(arg.replace("'", "'\\''"));
      line.append('\'');
    }
    return line.toString();
  }
}
