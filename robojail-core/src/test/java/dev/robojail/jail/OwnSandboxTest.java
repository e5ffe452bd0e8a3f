package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A command that would start the agent's own sandbox, which cannot work in a jail, is refused in
 * one line before anything runs, however it asks for it; one that does not is left alone.
 */
class OwnSandboxTest {
  @TempDir Path tmp;

  static final AgentProfile CODEX = AgentProfiles.builtIn().require("codex");
  static final AgentProfile CLAUDE = AgentProfiles.builtIn().require("claude");

  private static List<String> codex(String options) {
    List<String> argv = new ArrayList<>(List.of("/home/u/.local/bin/codex", "exec"));
    argv.addAll(List.of(options.split(" ")));
    argv.add("fix the bug");
    return argv;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "-s workspace-write",
        "-s read-only",
        "--sandbox workspace-write",
        "--sandbox=workspace-write",
        "-sworkspace-write",
        "--full-auto",
        "-c sandbox_mode=\"workspace-write\"",
        "-c sandbox_mode='read-only'",
        "--config sandbox_mode=workspace-write",
        "--config=sandbox_mode=read-only",
        "-m gpt-5 -c sandbox_mode=workspace-write",
      })
  void codexAskingForItsOwnSandboxIsRefusedInOneLine(String options) {
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> AgentHome.refuseOwnSandbox(CODEX, codex(options), tmp, tmp));
    assertTrue(e.getMessage().startsWith("codex's own sandbox is asked for ("), e.getMessage());
    assertTrue(e.getMessage().contains(AgentProfile.OWN_SANDBOX_OFF), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "-m gpt-5",
        "-s danger-full-access",
        "--sandbox=danger-full-access",
        "-c sandbox_mode=\"danger-full-access\"",
        "-c model=\"o3\"",
        "--dangerously-bypass-approvals-and-sandbox",
        // after "--" an argument is the prompt's, not an option
        "-- -s workspace-write",
      })
  void codexWithoutItsOwnSandboxRuns(String options) {
    assertDoesNotThrow(() -> AgentHome.refuseOwnSandbox(CODEX, codex(options), tmp, tmp));
  }

  @Test
  void anotherProgramIsNotTheAgent() {
    assertDoesNotThrow(
        () ->
            AgentHome.refuseOwnSandbox(
                CODEX, List.of("/usr/bin/make", "-s", "workspace-write"), tmp, tmp));
  }

  @Test
  void claudeCodesSandboxTurnedOnInTheProjectOrTheHomeIsRefused() throws IOException {
    Path worktree = Files.createDirectories(tmp.resolve("worktree/.claude")).getParent();
    Path home = Files.createDirectories(tmp.resolve("home/.claude")).getParent();
    List<String> claude = List.of("/usr/local/bin/claude", "-p", "hi");
    assertDoesNotThrow(() -> AgentHome.refuseOwnSandbox(CLAUDE, claude, worktree, home));
    Files.writeString(
        worktree.resolve(".claude/settings.json"), "{\"sandbox\":{\"enabled\":false}}");
    assertDoesNotThrow(() -> AgentHome.refuseOwnSandbox(CLAUDE, claude, worktree, home));
    for (Path file :
        List.of(
            worktree.resolve(".claude/settings.json"),
            worktree.resolve(".claude/settings.local.json"),
            home.resolve(".claude/settings.json"))) {
      Files.writeString(file, "{\"sandbox\":{\"enabled\":true}}");
      InvalidInputException e =
          assertThrows(
              InvalidInputException.class,
              () -> AgentHome.refuseOwnSandbox(CLAUDE, claude, worktree, home));
      assertTrue(e.getMessage().contains("sandbox.enabled in " + file), e.getMessage());
      assertTrue(e.getMessage().endsWith("set sandbox.enabled to false there"), e.getMessage());
      Files.delete(file);
    }
  }

  @Test
  void aLinkTheJailPlantedIsNotFollowed() throws IOException {
    Path worktree = Files.createDirectories(tmp.resolve("worktree"));
    Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
    Files.writeString(elsewhere.resolve("settings.json"), "{\"sandbox\":{\"enabled\":true}}");
    Files.createSymbolicLink(worktree.resolve(".claude"), elsewhere);
    assertDoesNotThrow(
        () -> AgentHome.refuseOwnSandbox(CLAUDE, List.of("claude"), worktree, tmp.resolve("h")));
  }

  // Behind a wrapper, a package runner or a shell's -c script, the agent's request is still seen.
  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "env|FOO=1|codex|--full-auto",
        "/usr/bin/env|-u|HOME|codex|exec|-s|workspace-write|hi",
        "env|-S|codex --full-auto",
        "npx|-y|@openai/codex@0.171.0|exec|--sandbox|workspace-write|hi",
        "npx|--package|@openai/codex|codex|--full-auto",
        "npm|exec|--|@openai/codex|--full-auto",
        "pnpm|dlx|@openai/codex|-s|read-only",
        "bunx|codex|--full-auto",
        "bash|-c|codex --full-auto",
        "sh|-lc|cd src && FOO=1 codex exec -c sandbox_mode=workspace-write 'fix it'",
        "bash|-c|make; exec /opt/bin/codex -s read-only",
        "timeout|-s|KILL|600|codex|--full-auto",
        "nice|-n|5|nohup|setsid|stdbuf|-oL|codex|--full-auto",
        "npx|-c|codex --full-auto",
        "bash|-o|pipefail|-c|codex --full-auto",
        "sh|-euo|pipefail|-c|codex -s read-only",
        "bash|+o|histexpand|-c|codex --full-auto",
      })
  void codexBehindAWrapperAskingForItsOwnSandboxIsRefused(String line) {
    List<String> argv = List.of(line.split("\\|"));
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> AgentHome.refuseOwnSandbox(CODEX, argv, tmp, tmp),
            argv.toString());
    assertTrue(e.getMessage().startsWith("codex's own sandbox is asked for ("), e.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "env|FOO=1|codex|-m|gpt-5",
        "bash|-c|echo codex --full-auto",
        "npx|cowsay|--full-auto",
        "bash|script.sh|codex|--full-auto",
        "timeout|60|codex|exec|hi",
        "sh|-c|codex exec 'it is' -- --full-auto",
      })
  void aWrappedAgentWithoutItsOwnSandboxRuns(String line) {
    List<String> argv = List.of(line.split("\\|"));
    assertDoesNotThrow(() -> AgentHome.refuseOwnSandbox(CODEX, argv, tmp, tmp), argv.toString());
  }

  @Test
  void claudesSettingsOptionWinsOverItsFilesAndIsReadAsTheJailWould() throws IOException {
    Path worktree = Files.createDirectories(tmp.resolve("worktree/.claude")).getParent();
    Path home = Files.createDirectories(tmp.resolve("jailhome/.claude")).getParent();
    String inside = "/home/u";
    String on = "{\"sandbox\":{\"enabled\":true}}";
    String off = "{\"sandbox\":{\"enabled\":false}}";
    java.util.function.Function<List<String>, String> refusal =
        argv -> {
          try {
            AgentHome.refuseOwnSandbox(CLAUDE, argv, worktree, home, inside);
            return null;
          } catch (InvalidInputException e) {
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            return e.getMessage();
          }
        };
    String json = refusal.apply(List.of("claude", "--settings", on, "-p", "hi"));
    assertTrue(json != null && json.contains("(sandbox.enabled in --settings)"), json);
    assertTrue(refusal.apply(List.of("claude", "--settings=" + on)) != null);
    assertTrue(refusal.apply(List.of("env", "claude", "--settings", on)) != null, "wrapped");
    assertTrue(refusal.apply(List.of("claude", "--settings", "{}")) == null);

    // The project turns it on, and --settings off wins, as Claude Code ranks them.
    Files.writeString(worktree.resolve(".claude/settings.json"), on);
    assertTrue(refusal.apply(List.of("claude", "-p", "hi")) != null);
    assertTrue(refusal.apply(List.of("claude", "--settings", off, "-p", "hi")) == null);
    assertTrue(refusal.apply(List.of("claude", "--settings", "{}")) != null, "says nothing");
    Files.delete(worktree.resolve(".claude/settings.json"));

    // A file, relative to the worktree (the working directory) or in the home as seen inside.
    Files.writeString(worktree.resolve("s.json"), on);
    String file = refusal.apply(List.of("claude", "--settings", "s.json"));
    assertTrue(file != null && file.contains("sandbox.enabled in --settings s.json"), file);
    Files.writeString(home.resolve("mine.json"), on);
    assertTrue(refusal.apply(List.of("claude", "--settings", inside + "/mine.json")) != null);
    Files.writeString(home.resolve("mine.json"), off);
    assertTrue(refusal.apply(List.of("claude", "--settings", inside + "/mine.json")) == null);
    // Missing: Claude Code says so itself.
    assertTrue(refusal.apply(List.of("claude", "--settings", "absent.json")) == null);

    // What robojail cannot read as the jail will is refused rather than guessed: a path elsewhere
    // in the jail's tree, a link (the agent would follow it), or a way out with "..".
    Files.createSymbolicLink(worktree.resolve("link.json"), worktree.resolve("s.json"));
    for (String unseen :
        List.of("/tmp/s.json", "link.json", "../../etc/s.json", "~/s.json", "$HOME/s.json")) {
      String r = refusal.apply(List.of("claude", "--settings", unseen));
      assertTrue(r != null && r.contains("cannot be checked for sandbox.enabled"), unseen + r);
    }
  }

  @Test
  void theAgentsCommandLinesBehindWrappersAreFoundAndNothingElse() {
    assertEquals(
        List.of(
            List.of("sh", "-c", "make && codex -m x | tee log"),
            List.of("make"),
            List.of("codex", "-m", "x"),
            List.of("tee", "log")),
        AgentCommand.candidates(List.of("sh", "-c", "make && codex -m x | tee log")));
    assertEquals(
        List.of(List.of("npx", "@anthropic-ai/claude-code@2", "-p"), List.of("claude", "-p")),
        AgentCommand.candidates(List.of("npx", "@anthropic-ai/claude-code@2", "-p")));
    // An unclosed quote in the script: that part is not read, the rest is.
    assertEquals(
        List.of(List.of("bash", "-c", "codex 'x; true"), List.of("true")),
        AgentCommand.candidates(List.of("bash", "-c", "codex 'x; true")));
  }
}
