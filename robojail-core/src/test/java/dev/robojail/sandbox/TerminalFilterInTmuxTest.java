package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import dev.robojail.ffm.Await;
import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.ffm.Programs;
import dev.robojail.ffm.Syscalls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The output filter in front of a real terminal: tmux, which obeys OSC 52 (with {@code
 * set-clipboard on}), titles and screen modes, and shows what it received ({@code list-buffers},
 * {@code #{pane_title}}, {@code #{alternate_on}}). Each test first shows that tmux obeys the
 * sequence when a program prints it directly, so that its absence through the relay means the
 * filter stopped it.
 */
@NeedsUserNamespaces
class TerminalFilterInTmuxTest {
  private static final String CLIPBOARD = "\\033]52;c;%s\\007";
  private static final String SCREEN_MODES = "\\033[?1049h\\033[?1000h\\033[?25l";

  @TempDir Path tmp;
  private Path socket;

  @BeforeEach
  void startTmux() throws Exception {
    Programs.require("/usr/bin/tmux", "tmux");
    // As nobody too, who must reach the socket's directory.
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
    socket = tmp.resolve("tmux.sock");
    tmux("-f", "/dev/null", "new-session", "-d", "-x", "120", "-y", "40", "sleep 3600");
    tmux("set", "-g", "set-clipboard", "on");
    tmux("set", "-g", "remain-on-exit", "on");
  }

  @AfterEach
  void stopTmux() throws Exception {
    if (socket != null) {
      run(List.of("/usr/bin/tmux", "-S", socket.toString(), "kill-server"), false);
    }
  }

  @Test
  void aJailCannotSetTheClipboardOrTheTitleAndTheModesItLeftOnAreTurnedOff() throws Exception {
    String direct =
        window(
            "printf '"
                + CLIPBOARD.formatted("RElSRUNU")
                + "\\033]2;DIRECT\\007"
                + SCREEN_MODES
                + "direct-done'; sleep 3600");
    Await.until("direct output shown", () -> pane(direct).contains("direct-done"));
    Await.until("tmux took the clipboard", () -> buffers().contains("DIRECT"));
    assertEquals("DIRECT", format(direct, "#{pane_title}"));
    assertEquals("1 1 0", format(direct, "#{alternate_on} #{mouse_any_flag} #{cursor_flag}"));

    String title = format(direct, "#{pane_title}");
    String jailed =
        window(
            filtered(
                List.of(
                    "/usr/bin/printf",
                    CLIPBOARD.formatted("SkFJTEVE") // JAILED
                        + "\\033]2;JAILED\\033\\\\"
                        + "\\033Ptmux;\\033\\033]52;c;SkFJTEVE\\007\\033\\\\"
                        + "\\302\\2352;JAILED\\302\\234" // OSC as UTF-8 encoded C1 controls
                        + "\\033[1;31mvisible-text\\033[0m"
                        + SCREEN_MODES)));
    Await.until("the jail's output shown", () -> pane(jailed).contains("[filtered exit 0]"));
    String screen = pane(jailed);
    assertTrue(screen.contains("visible-text"), screen);
    assertFalse(buffers().contains("JAILED"), buffers());
    assertNotEquals("JAILED", format(jailed, "#{pane_title}"));
    assertEquals("0 0 1", format(jailed, "#{alternate_on} #{mouse_any_flag} #{cursor_flag}"));
    assertEquals(title, format(direct, "#{pane_title}"));
  }

  @Test
  void claudeCodeAndCodexRenderThroughTheFilterAndTheTerminalIsRestored() throws Exception {
    Path agents = agents();
    for (String agent : List.of("claude", "codex")) {
      Path bin = agents.resolve("node_modules/.bin").resolve(agent);
      String pane = window(filtered(List.of("--ro", agents.toString(), bin.toString())));
      String welcome = agent.equals("claude") ? "Welcome to Claude Code" : "Welcome to Codex";
      try {
        Await.until(agent + "'s first screen", () -> pane(pane).contains(welcome));
      } catch (AssertionError e) {
        throw new AssertionError(agent + " did not render:\n" + pane(pane), e);
      }
      // Claude Code ends by itself without a network; Codex waits for a key.
      if (!pane(pane).contains("[filtered exit")) {
        tmux("send-keys", "-t", pane, "C-c");
        Await.until(agent + " to end", () -> keyUntilEnd(pane));
      }
      assertEquals(
          "0 0 1", format(pane, "#{alternate_on} #{mouse_any_flag} #{cursor_flag}"), pane(pane));
    }
  }

  private boolean keyUntilEnd(String pane) {
    if (pane(pane).contains("[filtered exit")) {
      return true;
    }
    try {
      tmux("send-keys", "-t", pane, "C-c");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    return false;
  }

  /** Where .ci/run installs the agents: target/agents in the repository's root. */
  private static Path agents() {
    List<Path> roots = new ArrayList<>();
    String repo = System.getenv("ROBOJAIL_REPO");
    if (repo != null) {
      roots.add(Path.of(repo));
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      roots.add(p);
    }
    for (Path root : roots) {
      Path agents = root.resolve("target/agents");
      if (Files.isExecutable(agents.resolve("node_modules/.bin/claude"))
          && Files.isExecutable(agents.resolve("node_modules/.bin/codex"))) {
        return agents;
      }
    }
    String missing =
        "needs Claude Code and Codex in target/agents"
            + " (npm install --prefix target/agents @anthropic-ai/claude-code @openai/codex)";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail(missing + ", and CI=true: .ci/run installs them, so the test must run");
    }
    return abort(missing);
  }

  private static String filtered(List<String> command) throws Exception {
    List<String> words =
        new ArrayList<>(
            List.of(
                TestJvm.java(),
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                TestJvm.classPath(FilteredTerminalMain.class, Sandbox.class, Syscalls.class),
                FilteredTerminalMain.class.getName()));
    words.addAll(command);
    return String.join(" ", words.stream().map(w -> "'" + w.replace("'", "'\\''") + "'").toList());
  }

  private String window(String command) throws Exception {
    return tmux("new-window", "-d", "-P", "-F", "#{pane_id}", command).strip();
  }

  private String pane(String pane) {
    try {
      // With the history: a TUI's first screen may have scrolled off by the time it is read.
      return tmux("capture-pane", "-p", "-S", "-", "-t", pane);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private String buffers() {
    try {
      return tmux("list-buffers", "-F", "#{buffer_sample}");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private String format(String pane, String format) throws Exception {
    return tmux("display", "-p", "-t", pane, format).strip();
  }

  private String tmux(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("/usr/bin/tmux", "-u", "-S", socket.toString()));
    command.addAll(List.of(args));
    return run(command, true);
  }

  private static String run(List<String> command, boolean check)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("TERM", "xterm-256color");
    // tmux runs pane commands with $SHELL, else the user's login shell, which is nologin for
    // nobody.
    pb.environment().put("SHELL", "/bin/sh");
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command));
    if (check && p.exitValue() != 0) {
      throw new AssertionError(String.join(" ", command) + " exited " + p.exitValue() + ": " + out);
    }
    return out;
  }
}
