package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.Await;
import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.ffm.Programs;
import dev.robojail.ffm.Syscalls;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The jail's own terminal, relayed, driven like a person would: through a real terminal made by
 * {@code script(1)}, typing keys (Ctrl-C, Ctrl-Z as bytes) and reading the screen.
 */
@NeedsUserNamespaces
class TerminalRelayTest {
  @Test
  void jobControlCtrlCAndCtrlZWorkInsideAndTheExitStatusPassesThrough() throws Exception {
    Programs.require("/usr/bin/script", "script(1), Debian's bsdutils");
    Programs.require("/bin/bash", "bash");
    String java = TestJvm.java();
    // script(1) gives its terminal no size when its own input is a pipe (stty size: 0 0)
    String command =
        String.join(
            " ",
            "stty rows 33 cols 101; exec",
            java,
            "--enable-native-access=ALL-UNNAMED",
            "-cp",
            TestJvm.classPath(TerminalRelayMain.class, Sandbox.class, Syscalls.class),
            TerminalRelayMain.class.getName());
    Process p =
        new ProcessBuilder("/usr/bin/script", "-qefc", command, "/dev/null")
            .redirectErrorStream(true)
            .start();
    StringBuilder screen = new StringBuilder();
    Thread reader =
        Thread.ofPlatform()
            .start(
                () -> {
                  try (InputStream in = p.getInputStream()) {
                    byte[] b = new byte[4096];
                    int n;
                    while ((n = in.read(b)) > 0) {
                      synchronized (screen) {
                        screen.append(new String(b, 0, n, StandardCharsets.UTF_8));
                      }
                    }
                  } catch (java.io.IOException e) {
                    // the terminal closed
                  }
                });
    OutputStream keys = p.getOutputStream();
    try {
      waitFor(screen, "jail$ ");
      // a terminal of the jail's own /dev/pts, which tty names, of the caller's size
      type(keys, "test -t 0 && test -t 1 && echo $((6*7)) is-a-terminal $(tty); stty size\r");
      waitFor(screen, "42 is-a-terminal /dev/pts/0");
      waitFor(screen, "33 101");
      type(keys, "sleep 100.1\r");
      awaitForeground(p, "sleep 100.1");
      type(keys, "\u0003"); // Ctrl-C: the jail's terminal interrupts its foreground job
      type(keys, "echo interrupted=$?\r");
      waitFor(screen, "interrupted=130");
      type(keys, "sleep 101.1\r");
      awaitForeground(p, "sleep 101.1");
      type(keys, "\u001a"); // Ctrl-Z: stopped, back to the shell
      waitFor(screen, "Stopped");
      // bash's wait returns at once for a stopped job, and a SIGKILLed one is gone only once
      // bash has reaped it: until then "exit" finds stopped jobs and does not exit (seen starved)
      type(keys, "jobs; kill -9 %1; while kill -0 %1 2>/dev/null; do sleep 0.05; done\r");
      type(keys, "echo back=$((40+2))\r");
      waitFor(screen, "back=42");
      type(keys, "exit 7\r");
      assertTrue(p.waitFor(90, TimeUnit.SECONDS), screen.toString());
      assertEquals(7, p.exitValue(), screen.toString());
      reader.join(5000);
      synchronized (screen) {
        assertTrue(screen.toString().contains("[relay exit 7, modes restored]"), screen.toString());
      }
    } finally {
      p.destroyForcibly();
    }
  }

  /**
   * Item 7 of the hardening: {@code run J -- cmd > out.txt} typed at a prompt. The command's
   * standard input and error are the jail's own terminal, never the user's; its output goes to the
   * file as it is; and {@code /dev/tty} opens the jail's terminal, in a session of its own.
   */
  @Test
  void whenOnlySomeStreamsAreTerminalsTheJailGetsItsOwnTerminalForThose(
      @org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Programs.require("/usr/bin/script", "script(1), Debian's bsdutils");
    Files.setPosixFilePermissions(
        dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
    Path out = dir.resolve("out.txt");
    String command =
        String.join(
            " ",
            TestJvm.java(),
            "--enable-native-access=ALL-UNNAMED",
            "-cp",
            TestJvm.classPath(PartialTerminalMain.class, Sandbox.class, Syscalls.class),
            PartialTerminalMain.class.getName(),
            ">",
            out.toString());
    Process p =
        new ProcessBuilder("/usr/bin/script", "-qefc", command, "/dev/null")
            .redirectErrorStream(true)
            .start();
    p.getOutputStream().close();
    String screen = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(90, TimeUnit.SECONDS), screen);
    assertTrue(screen.contains("[partial exit 0]"), screen);
    String host = field(screen, "host0=");
    String jail0 = field(screen, "jail0=");
    assertTrue(!jail0.equals(host), "the jail got the user's terminal: " + screen);
    // The jail is in a session of its own, where the only terminal it could make its controlling
    // one is its own (the user's is the controlling terminal of the user's session): that /dev/tty
    // opens at all says it is the jail's.
    assertTrue(screen.contains("dev-tty-opens"), screen);
    // Item 8: the terminal is the jail's own devpts's, which tty and ps inside can name.
    assertTrue(field(screen, "jailtty=").matches("/dev/pts/[0-9]+"), screen);
    assertTrue(field(screen, "jailps=").matches("pts/[0-9]+"), screen);
    assertTrue(screen.contains("fd1-is-no-terminal"), screen);
    assertEquals("to-the-file\n", Files.readString(out));
  }

  private static String field(String screen, String name) {
    int at = screen.indexOf(name);
    assertTrue(at >= 0, "no " + name + " in\n" + screen);
    return screen.substring(at + name.length()).lines().findFirst().orElseThrow().strip();
  }

  private static void type(OutputStream keys, String s) throws java.io.IOException {
    keys.write(s.getBytes(StandardCharsets.UTF_8));
    keys.flush();
  }

  /**
   * Waits until a process of this test's terminal whose command line is {@code command} is the
   * foreground job of that terminal: its process group ({@code /proc/PID/stat} field 5) is the
   * terminal's (field 8). Only then do Ctrl-C and Ctrl-Z reach it rather than the shell that is
   * about to start it. Only descendants of {@code script} count: another run of this test on the
   * same machine has a {@code sleep 101.1} in the foreground of its own terminal, and a key typed
   * on the strength of that one reaches the shell here, which flushes the line it has not read.
   */
  private static void awaitForeground(Process script, String command) {
    Await.until(
        command + " in the foreground of its terminal",
        () ->
            script
                .descendants()
                .anyMatch(
                    h -> {
                      Path d = Path.of("/proc", Long.toString(h.pid()));
                      try {
                        String cmdline = Files.readString(d.resolve("cmdline")).replace('\0', ' ');
                        if (!cmdline.strip().equals(command)) {
                          return false;
                        }
                        String stat = Files.readString(d.resolve("stat"));
                        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        return f[2].equals(f[5]); // fields 5 and 8, counted from field 3
                      } catch (java.io.IOException | RuntimeException gone) {
                        return false;
                      }
                    }));
  }

  /** Waits (bounded, to catch a hang; not a timing check) until the screen shows {@code s}. */
  private static void waitFor(StringBuilder screen, String s) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      synchronized (screen) {
        if (screen.indexOf(s) >= 0) {
          return;
        }
      }
      Thread.sleep(20);
    }
    synchronized (screen) {
      throw new AssertionError("never saw \"" + s + "\" on\n" + screen);
    }
  }
}
