package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.Await;
import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.ffm.Programs;
import dev.robojail.jail.JailName;
import dev.robojail.testkit.TestWorld;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code exec}, {@code list}'s session count and {@code forward}'s input, through the real entry
 * point; {@code exec} on a real terminal made by {@code script(1)}.
 */
@NeedsUserNamespaces
class CliSessionsTest {
  @TempDir Path tmp;
  private TestWorld world;
  private MainProcess robojail;
  private Path worktree;
  private Process first;

  @BeforeEach
  void create() throws Exception {
    world = TestWorld.in(tmp);
    Path repo = world.repo("repo").dir;
    robojail = new MainProcess(world);
    Result r = robojail.run("create", "--name", "j", "--repo", repo.toString());
    assertEquals(0, r.code(), r.err());
    worktree = world.dirs().jailDir(JailName.of("j"));
  }

  @AfterEach
  void end() throws Exception {
    if (first != null) {
      robojail.run("destroy", "--force", "j");
      first.waitFor(30, TimeUnit.SECONDS);
      first.destroyForcibly();
    }
  }

  private void startJail() throws Exception {
    first = robojail.startRunning("j", worktree, tmp);
  }

  @Test
  void execOnATerminalGetsTheJailsOwnPtyAndListCountsTheSessions() throws Exception {
    Programs.require("/usr/bin/script", "script(1), Debian's bsdutils");
    startJail();
    assertTrue(
        robojail.run("list").out().lines().anyMatch(l -> l.matches("j +running +1 .*")),
        robojail.run("list").out());
    List<String> exec = new ArrayList<>(robojail.javaCommand(Map.of()));
    exec.addAll(
        List.of(
            "exec",
            "j",
            "--",
            "sh",
            "-c",
            "echo tty=$(tty); echo ps=$(ps -o tty= -p $$); until test -e go; do sleep 0.1; done;"
                + " exit 5"));
    StringBuilder line = new StringBuilder();
    for (String arg : exec) {
      line.append(line.isEmpty() ? "" : " ").append('\'').append(arg.replace("'", "'\\''"));
      line.append('\'');
    }
    Path screen = Files.createTempFile(tmp, "screen", ".txt");
    Process p =
        robojail.start(
            List.of("/usr/bin/script", "-qefc", line.toString(), "/dev/null"),
            Map.of(),
            screen,
            Files.createTempFile(tmp, "screen", ".err"));
    try {
      Await.until("exec's output", () -> read(screen).contains("ps="));
      String json = robojail.run("list", "--json").out();
      assertTrue(json.contains("\"sessions\":2"), json);
      Files.writeString(worktree.resolve("go"), "");
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), read(screen));
      assertEquals(5, p.exitValue(), read(screen));
      String out = read(screen);
      assertTrue(out.matches("(?s).*tty=/dev/pts/[0-9]+.*"), out);
      assertTrue(out.matches("(?s).*ps=pts/[0-9]+.*"), out);
    } finally {
      p.destroyForcibly();
    }
    Await.until("one session again", () -> listJson().contains("\"sessions\":1"));
  }

  @Test
  void execIntoAStoppedJailSaysWhatToDoInOneLine() throws Exception {
    Result r = robojail.run("exec", "j", "--", "true");
    assertEquals("robojail: jail j is not running; start it with: robojail enter j\n", r.err());
    assertTrue(r.code() != 0);
  }

  @Test
  void forwardRefusesWhatIsNotAPortInOneLine() throws Exception {
    for (String bad : new String[] {"http", "0", "70000", "1:2:3", "80:"}) {
      Result r = robojail.run("forward", "j", bad);
      assertEquals(Errors.INVALID_INPUT, r.code(), r.err());
      assertTrue(r.err().startsWith("robojail: not "), r.err());
      assertEquals(1, r.err().lines().count(), r.err());
    }
  }

  private String listJson() {
    try {
      return robojail.run("list", "--json").out();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
