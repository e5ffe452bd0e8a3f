package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.robojail.ffm.Await;
import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.ffm.Programs;
import dev.robojail.testkit.AgentPackages;
import dev.robojail.testkit.TestRepo;
import dev.robojail.testkit.TestWorld;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Claude Code's and Codex's TUIs, the real npm packages, started by {@code robojail enter} in a
 * real terminal (a tmux pane), offline: each draws its screen, and once it ends the terminal is as
 * before — the same modes, off the alternate screen, the cursor shown.
 */
@NeedsUserNamespaces
class AgentTuiTest {
  @TempDir Path tmp;
  Path socket;

  @AfterEach
  void stopTmux() throws Exception {
    if (socket != null) {
      tmux("kill-server");
    }
  }

  private String tmux(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("/usr/bin/tmux", "-S", socket.toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    // tmux runs the pane's command with the user's shell, which for nobody is nologin.
    pb.environment().put("SHELL", "/bin/sh");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor(30, TimeUnit.SECONDS);
    return out;
  }

  private static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  @Test
  void claudeCodesTuiStartsInARealTerminalAndTheTerminalIsRestored() throws Exception {
    tuiStartsAndTheTerminalIsRestored("claude", "Welcome to Claude Code");
  }

  @Test
  void codexsTuiStartsInARealTerminalAndTheTerminalIsRestored() throws Exception {
    tuiStartsAndTheTerminalIsRestored("codex", "OpenAI Codex");
  }

  private void tuiStartsAndTheTerminalIsRestored(String agent, String drawn) throws Exception {
    Programs.require("/usr/bin/tmux", "tmux");
    Path program = agent.equals("claude") ? AgentPackages.claude() : AgentPackages.codex();
    TestWorld world =
        TestWorld.in(tmp)
            .config("network = \"none\"\nextra_ro_binds = [\"" + AgentPackages.dir() + "\"]\n");
    Path home = world.home();
    Files.createDirectories(home.resolve(".claude"));
    Files.writeString(
        home.resolve(".claude/.credentials.json"),
        "{\"claudeAiOauth\":{\"accessToken\":\"sk-ant-oat01-x\",\"refreshToken\":\"r\","
            + "\"expiresAt\":"
            + (System.currentTimeMillis() + 86_400_000L)
            + ",\"scopes\":[\"user:inference\"]}}");
    Files.createDirectories(home.resolve(".codex"));
    Files.writeString(
        home.resolve(".codex/auth.json"),
        "{\"auth_mode\":\"apikey\",\"OPENAI_API_KEY\":\"sk-test-0123456789\"}");
    TestRepo repo = world.repo("repo");
    MainProcess robojail = new MainProcess(world);
    Result created =
        robojail.run(
            "create",
            "--name",
            "t",
            "--repo",
            repo.dir.toString(),
            "--entrypoint",
            program.toString());
    assertEquals(0, created.code(), created.out() + created.err());

    Path dir = Files.createDirectories(tmp.resolve("tty"));
    Map<String, String> env = new java.util.LinkedHashMap<>(world.env());
    env.put("TERM", "xterm-256color");
    env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    String exports =
        env.entrySet().stream()
            .map(e -> "export " + e.getKey() + "=" + quote(e.getValue()))
            .collect(Collectors.joining("\n"));
    String enter =
        robojail.javaCommand(Map.of()).stream()
                .map(AgentTuiTest::quote)
                .collect(Collectors.joining(" "))
            + " enter t";
    Path script =
        Files.writeString(
            dir.resolve("tty.sh"),
            "#!/bin/sh\n"
                + exports
                + "\ncd "
                + quote(dir.toString())
                // Ctrl-C reaches the TUI through robojail's terminal as a byte; once robojail
                // is gone it would end this script and the pane before they are looked at.
                + "\ntrap '' INT\nstty -g > before\n"
                + enter
                // Each by a rename: a file the shell's redirection made is there, empty, before
                // what is written into it (the test read such an empty "after" once).
                + "\necho $? > status.new && mv status.new status"
                + "\nstty -g > after.new && mv after.new after\nexec sleep 600\n");
    script.toFile().setExecutable(true);
    socket = tmp.resolve("tmux.sock");
    tmux("new-session", "-d", "-x", "120", "-y", "40", script.toString());
    Instant until = Instant.now().plus(Duration.ofSeconds(90));
    String screen = "";
    while (!screen.contains(drawn) && Instant.now().isBefore(until)) {
      Thread.sleep(200);
      screen = tmux("capture-pane", "-p");
    }
    assertEquals(true, screen.contains(drawn), "the " + agent + " TUI drew:\n" + screen);
    // Offline, Claude Code ends by itself; Codex waits for its input: Ctrl-C ends both.
    Path status = dir.resolve("status");
    Await.until(
        "the " + agent + " TUI to end",
        () -> {
          if (!Files.exists(status)) {
            try {
              tmux("send-keys", "C-c");
              Thread.sleep(500);
            } catch (IOException | InterruptedException e) {
              throw new IllegalStateException(e);
            }
          }
          return Files.exists(dir.resolve("after"));
        });
    assertEquals(
        Files.readString(dir.resolve("before")),
        Files.readString(dir.resolve("after")),
        "the terminal's modes are as before");
    assertEquals(
        "0 1",
        tmux("display-message", "-p", "#{alternate_on} #{cursor_flag}").strip(),
        "off the alternate screen, with the cursor shown");
  }
}
