package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.robojail.ffm.Await;
import dev.robojail.ffm.FdInputStream;
import dev.robojail.ffm.InitBinary;
import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.ffm.Pty;
import dev.robojail.ffm.Syscalls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** robojail-init as the sandbox's PID 1: signals are passed on, orphans reaped, statuses kept. */
@NeedsUserNamespaces
class InitTest {
  @BeforeAll
  static void needsTheInit() {
    assumeTrue(InitBinary.fd() >= 0, "robojail-init unavailable: " + InitBinary.unavailable());
  }

  private static Sandbox.Builder base() {
    return Sandbox.builder().minimalSystem().env("PATH", "/usr/bin:/bin");
  }

  private static String out(SandboxProcess p) throws Exception {
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return out;
  }

  private static SandboxProcess sh(Sandbox.Builder b, String script) {
    return b.command("/bin/sh", "-c", script)
        .stdout(Stdio.pipe())
        .redirectErrorStream(true)
        .start();
  }

  @Test
  void theInitIsPid1AndTheCommandPid2() throws Exception {
    SandboxProcess p = sh(base(), "echo $$; tr '\\0' ' ' < /proc/1/cmdline; echo");
    assertEquals(
        "2\nrobojail-init /bin/sh -- /bin/sh -c "
            + "echo $$; tr '\\0' ' ' < /proc/1/cmdline; echo \n",
        out(p));
    assertEquals(0, p.exitValue());
  }

  @Test
  void withoutTheInitTheCommandIsPid1() throws Exception {
    SandboxProcess p = sh(base().init(false), "echo $$");
    assertEquals("1\n", out(p));
  }

  @Test
  void sigtermToTheSandboxEndsACommandWithoutHandlerWith143() throws Exception {
    assertEquals(143, signalled("TERM"));
  }

  @Test
  void sigintToTheSandboxEndsACommandWithoutHandlerWith130() throws Exception {
    assertEquals(130, signalled("INT"));
  }

  @Test
  void sighupAndSigusr1ArePassedOnToo() throws Exception {
    assertEquals(129, signalled("HUP"));
    assertEquals(138, signalled("USR1"));
  }

  /**
   * A command that handles the signal ends with its own status: an init that ended by the signal
   * itself, or on its behalf, without passing it on, would report 128 + the signal instead.
   */
  @Test
  void signalsReachACommandThatTrapsThemAndItsOwnStatusPassesThrough() throws Exception {
    assertEquals(42, trapped("TERM", 42));
    assertEquals(43, trapped("INT", 43));
    assertEquals(44, trapped("HUP", 44));
    assertEquals(45, trapped("USR1", 45));
  }

  /**
   * Starts a shell that traps {@code signal} with {@code exit code} and says so, sends the signal
   * to the sandbox's host pid once the trap is set, returns the status.
   */
  private static int trapped(String signal, int code) throws Exception {
    SandboxProcess p =
        sh(
            base(),
            "trap 'exit " + code + "' " + signal + "; echo trapped; while :; do sleep 0.05; done");
    try {
      StringBuilder line = new StringBuilder();
      for (int c; (c = p.getInputStream().read()) != '\n'; ) {
        assertTrue(c >= 0, "the command ended before it set its trap: " + line);
        line.append((char) c);
      }
      assertEquals("trapped", line.toString());
      kill(signal, p.pid());
      assertTrue(p.waitFor(10, TimeUnit.SECONDS), "SIG" + signal + " did not end the sandbox");
      return p.exitValue();
    } finally {
      p.destroy();
    }
  }

  /** Starts {@code sleep 100}, sends the signal to the sandbox's host pid, returns the status. */
  private static int signalled(String signal) throws Exception {
    SandboxProcess p = base().command("sleep", "100").start();
    try {
      awaitChild(p.pid());
      kill(signal, p.pid());
      assertTrue(p.waitFor(10, TimeUnit.SECONDS), "SIG" + signal + " did not end the sandbox");
      return p.exitValue();
    } finally {
      p.destroy();
    }
  }

  @Test
  void ctrlCOnTheSandboxsTerminalReachesTheCommandInTheForegroundGroup() throws Exception {
    Pty pty = Pty.open();
    try {
      SandboxProcess p =
          base()
              .stdin(Stdio.descriptor(pty.slave()))
              .stdout(Stdio.descriptor(pty.slave()))
              .stderr(Stdio.descriptor(pty.slave()))
              .controllingTerminal(true)
              .command(
                  "/bin/sh",
                  "-c",
                  "read -r l < /proc/$$/stat; set -- $l; echo pid=$1 pgrp=$5 tpgid=$8;"
                      + " exec sleep 100")
              .start();
      Syscalls.close(pty.slave());
      int master = Syscalls.dup3(pty.master(), 901, Syscalls.O_CLOEXEC);
      StringBuilder out = new StringBuilder();
      try (FdInputStream in = new FdInputStream(master)) {
        while (!out.toString().contains("\n")) {
          int c = in.read();
          assertTrue(c >= 0, "no output: " + out);
          out.append((char) c);
        }
        assertEquals("pid=2 pgrp=2 tpgid=2\r\n", out.toString());
        awaitChild(p.pid());
        Syscalls.writeFully(pty.master(), new byte[] {3}); // ^C
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "^C did not end the sandbox");
      } finally {
        p.destroy();
      }
      assertEquals(130, p.exitValue());
    } finally {
      Syscalls.close(pty.master());
    }
  }

  @Test
  void exitCodesAndDeathsBySignalPassThrough() throws Exception {
    assertEquals(3, base().command("/bin/sh", "-c", "exit 3").start().waitFor());
    assertEquals(0, base().command("/bin/true").start().waitFor());
    assertEquals(1, base().command("false").start().waitFor());
    // the command (PID 2, not PID 1) can be killed from inside, even by a signal it ignores not
    assertEquals(143, base().command("/bin/sh", "-c", "kill -TERM $$").start().waitFor());
    assertEquals(137, base().command("/bin/sh", "-c", "kill -KILL $$").start().waitFor());
    assertEquals(139, base().command("/bin/sh", "-c", "kill -SEGV $$").start().waitFor());
  }

  @Test
  void orphansAreReaped() throws Exception {
    awaitZombiesOnceTheOrphansEnded(base(), 0);
    // Without the init the command is PID 1 and never waits for them: the check sees them.
    awaitZombiesOnceTheOrphansEnded(base().init(false), 3);
  }

  /**
   * Runs a command that leaves three orphans ({@code sleep 0.2}), then execs a {@code sleep 30}
   * that never waits for anything; once the orphans have ended, waits until the zombies in the
   * sandbox number {@code expected}, while the sleep still runs (a reaped orphan does not come
   * back, and an orphan nobody reaps stays a zombie: the count settles, it never passes by).
   */
  private static void awaitZombiesOnceTheOrphansEnded(Sandbox.Builder b, int expected)
      throws Exception {
    SandboxProcess p =
        b.command(
                "/bin/sh", "-c", "(sleep 0.2 &); (sleep 0.2 &); sh -c 'sleep 0.2 &'; exec sleep 30")
            .start();
    try {
      // After the exec the orphans have all been started.
      Await.until(
          "the command to exec sleep 30",
          () -> descendants(p.pid()).stream().anyMatch(pid -> cmdline(pid).equals("sleep 30")));
      Await.until(
          "the orphans to end",
          () ->
              descendants(p.pid()).stream()
                  .noneMatch(pid -> cmdline(pid).equals("sleep 0.2") && state(pid) != 'Z'));
      Await.until(
          expected + " zombies in the sandbox",
          () -> zombies(p.pid()) + (state(p.pid()) == 'Z' ? 1 : 0) == expected);
      assertTrue(p.isAlive());
    } finally {
      p.destroy();
      p.waitFor();
    }
  }

  /** Every descendant of {@code pid}, and {@code pid} itself. */
  private static List<Long> descendants(long pid) {
    List<Long> all = new ArrayList<>(List.of(pid));
    try {
      for (String c :
          Files.readString(Path.of("/proc/" + pid + "/task/" + pid + "/children")).split(" ")) {
        if (!c.isBlank()) {
          all.addAll(descendants(Long.parseLong(c.strip())));
        }
      }
    } catch (IOException gone) {
      // ended meanwhile: no descendants
    }
    return all;
  }

  private static String cmdline(long pid) {
    try {
      return Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ').strip();
    } catch (IOException gone) {
      return "";
    }
  }

  @Test
  void theInitsExecutableCannotBeWrittenFromInside() throws Exception {
    String before = HexFormat.of().formatHex(Files.readAllBytes(fdPath()));
    SandboxProcess p =
        sh(
            base(),
            "echo x > /proc/1/exe && echo wrote; echo x >> /proc/1/exe && echo appended;"
                + " ls -l /proc/self/fd/ | grep -c memfd; true");
    String out = out(p);
    assertFalse(out.contains("wrote"), out);
    assertFalse(out.contains("appended"), out);
    assertTrue(out.endsWith("0\n"), "no memfd among the command's descriptors: " + out);
    assertEquals(before, HexFormat.of().formatHex(Files.readAllBytes(fdPath())));
  }

  @Test
  void destroyEndsTheInitAndEveryProcessUnderIt() throws Exception {
    SandboxProcess p =
        base()
            .command("/bin/sh", "-c", "trap '' TERM INT HUP; sleep 100 & sleep 100 & wait")
            .start();
    long child = awaitChild(p.pid());
    p.destroy();
    assertTrue(p.waitFor(10, TimeUnit.SECONDS));
    assertEquals(137, p.exitValue());
    Await.until(
        "the command to end with its sandbox", () -> !Files.exists(Path.of("/proc/" + child)));
  }

  @Test
  void aMissingCommandIsStillReportedAsSuch() {
    SandboxException.SetupFailed e =
        org.junit.jupiter.api.Assertions.assertThrows(
            SandboxException.SetupFailed.class,
            () -> base().command("no-such-command-here").start());
    assertTrue(
        e.getMessage().startsWith("command not found in the sandbox: no-such-command-here"),
        e.getMessage());
    SandboxException.SetupFailed abs =
        org.junit.jupiter.api.Assertions.assertThrows(
            SandboxException.SetupFailed.class, () -> base().command("/no/such/tool").start());
    assertTrue(abs.getMessage().startsWith("command not found in the sandbox"), abs.getMessage());
  }

  @Test
  void aCommandFoundLaterOnPathRuns() throws Exception {
    SandboxProcess p =
        base()
            .env("PATH", "/nonexistent:/etc:/usr/bin")
            .command("echo", "found")
            .stdout(Stdio.pipe())
            .start();
    assertEquals("found\n", out(p));
    assertEquals(0, p.exitValue());
  }

  private static Path fdPath() {
    return Path.of("/proc/self/fd/" + InitBinary.fd());
  }

  /** Waits until the init has started its child (the command); returns the child's host pid. */
  private static long awaitChild(long init) {
    Path children = Path.of("/proc/" + init + "/task/" + init + "/children");
    return Await.value(
        "the init to start its command",
        () -> {
          try {
            String c = Files.exists(children) ? Files.readString(children).strip() : "";
            if (c.isEmpty()) {
              return Optional.empty();
            }
            long child = Long.parseLong(c.split(" ")[0]);
            // exec'd: its name is no longer the init's
            String comm = Files.readString(Path.of("/proc/" + child + "/comm")).strip();
            return comm.startsWith("robojail") || comm.matches("\\d+")
                ? Optional.empty()
                : Optional.of(child);
          } catch (IOException raced) {
            return Optional.empty();
          }
        });
  }

  /** The zombies among the descendants of {@code pid}. */
  private static int zombies(long pid) {
    Path children = Path.of("/proc/" + pid + "/task/" + pid + "/children");
    int n = 0;
    String list;
    try {
      list = Files.readString(children).strip();
    } catch (IOException gone) {
      return 0;
    }
    for (String c : list.split(" ")) {
      if (!c.isEmpty()) {
        long child = Long.parseLong(c);
        n += (state(child) == 'Z' ? 1 : 0) + zombies(child);
      }
    }
    return n;
  }

  private static char state(long pid) {
    try {
      String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return s.charAt(s.lastIndexOf(')') + 2);
    } catch (IOException gone) {
      return '?';
    }
  }

  private static void kill(String signal, long pid) throws Exception {
    Process k = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
    assertEquals(0, k.waitFor());
  }
}
