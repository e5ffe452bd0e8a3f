package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
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
}
