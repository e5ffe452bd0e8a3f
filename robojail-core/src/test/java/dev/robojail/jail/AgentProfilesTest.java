package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The built-in profiles, the user's [agent.NAME] tables, and how a profile is found. */
class AgentProfilesTest {
  @TempDir Path dir;

  private AgentProfiles load(String toml) throws IOException {
    return AgentProfiles.load(Files.writeString(dir.resolve("config.toml"), toml));
  }

  @Test
  void theBuiltInProfilesAreClaudeAndCodexEachWithItsOwnLoginOnly() {
    AgentProfiles p = AgentProfiles.builtIn();
    assertEquals(List.of("claude", "codex"), p.names());
    AgentProfile claude = p.require("claude");
    AgentProfile codex = p.require("codex");
    assertEquals(List.of(".claude/.credentials.json"), claude.credentials());
    assertEquals(List.of(".codex/auth.json"), codex.credentials());
    assertEquals(List.of("ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN"), claude.loginEnv());
    assertEquals(List.of("OPENAI_API_KEY"), codex.loginEnv());
    assertTrue(claude.hosts().contains("api.anthropic.com:443"));
    assertTrue(codex.hosts().contains("api.openai.com:443"));
    assertTrue(
        codex.exposes().contains("the agent's own sandbox: off (robojail is the sandbox)"),
        codex.exposes().toString());
    assertTrue(claude.caches().contains(".m2/repository"));
    // The Maven cache, never its settings (passwords): those stay hidden.
    assertTrue(claude.caches().stream().noneMatch(c -> c.contains("settings")));
  }

  @Test
  void anUnknownProfileIsOneLineNamingTheKnownOnes() throws IOException {
    AgentProfiles p = load("[agent.aider]\ncommand = \"aider\"\n");
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> p.require("clod"));
    assertEquals(
        "unknown agent profile clod; known profiles: aider, claude, codex", e.getMessage());
  }

  @Test
  void theUsersTableAddsAProfileOrExtendsABuiltInOneKeyByKey() throws IOException {
    AgentProfiles p =
        load(
            """
            network_enabled = true
            [agent.claude]
            command = "claude"
            args = ["--verbose"]
            own_sandbox = "off"
            [agent.aider]
            command = "aider"
            credentials = [".aider/token.json"]
            login_env = ["OPENAI_API_KEY"]
            env = { AIDER_CHECK_UPDATE = "false" }
            hosts = ["api.openai.com:443"]
            """);
    assertEquals(List.of("--verbose"), p.require("claude").args());
    assertEquals(
        AgentProfiles.builtIn().require("claude").credentials(),
        p.require("claude").credentials(),
        "a key the table leaves out stays the built-in's");
    AgentProfile aider = p.require("aider");
    assertEquals("false", aider.environment().get("AIDER_CHECK_UPDATE"));
    assertEquals(AgentProfile.Settings.NONE, aider.settings());
  }

  @Test
  void aPartialTableOfABuiltInProfileReplacesOnlyTheKeysItGives() throws IOException {
    AgentProfile builtIn = AgentProfiles.builtIn().require("claude");
    AgentProfiles p =
        load(
            """
            [agent.claude]
            env = { CLAUDE_CODE_USE_BEDROCK = "1" }
            hosts = ["bedrock.example.test:443"]
            network_allow_defaults = false
            [agent.codex]
            network = "none"
            """);
    AgentProfile claude = p.require("claude");
    // A list or a table given replaces the built-in's whole: predictable, never merged.
    assertEquals(java.util.Map.of("CLAUDE_CODE_USE_BEDROCK", "1"), claude.environment());
    assertEquals(List.of("bedrock.example.test:443"), claude.hosts());
    assertEquals(Boolean.FALSE, claude.networkAllowDefaults());
    assertEquals(null, claude.network(), "not given: the configuration's mode");
    assertTrue(claude.networkFrom().endsWith("config.toml:4"), claude.networkFrom());
    // Everything else is the built-in's.
    assertEquals(
        new AgentProfile(
            builtIn.name(),
            builtIn.command(),
            builtIn.args(),
            builtIn.credentials(),
            builtIn.credentialKey(),
            builtIn.accountFile(),
            builtIn.accountKeys(),
            builtIn.loginEnv(),
            claude.environment(),
            builtIn.caches(),
            claude.hosts(),
            builtIn.hostPorts(),
            builtIn.settings(),
            null,
            false,
            claude.networkFrom()),
        claude);
    AgentProfile codex = p.require("codex");
    assertEquals(Config.NetworkMode.NONE, codex.network());
    assertEquals(AgentProfiles.builtIn().require("codex").hosts(), codex.hosts());
    assertEquals("codex", codex.command());
    assertEquals("agent profile codex, " + dir.resolve("config.toml") + ":6", codex.networkFrom());
    assertTrue(
        codex
            .exposes()
            .contains("network: none (unless the jail's own --network says" + " otherwise)"),
        codex.exposes().toString());
  }

  @Test
  void aProfileOfAnotherNameStartsFromScratch() throws IOException {
    AgentProfiles p =
        load(
            """
            [agent.claude-bare]
            command = "claude"
            """);
    AgentProfile bare = p.require("claude-bare");
    assertEquals(List.of(), bare.credentials(), "nothing of the built-in claude");
    assertEquals(List.of(), bare.hosts());
    assertEquals(AgentProfile.Settings.NONE, bare.settings());
    // The built-in one is still inferred from the command, the other chosen by name.
    assertEquals("claude", p.inferFrom(List.of("claude")).orElseThrow().name());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "unknown key|[agent.x]\\ncommand = \"x\"\\ncredential = [\"a\"]|3|unknown key \"credential\"",
        "no command|[agent.x]\\nargs = []|1|command is required",
        "a path out of the home|[agent.x]\\ncommand = \"x\"\\ncredentials = [\"../.ssh/id_rsa\"]|3|"
            + "must stay inside the home directory",
        "an absolute path|[agent.x]\\ncommand = \"x\"\\ncaches = [\"/var/cache\"]|3|relative to the home",
        "a bad variable|[agent.x]\\ncommand = \"x\"\\nlogin_env = [\"A-B\"]|3|not an environment variable",
        "a bad host|[agent.x]\\ncommand = \"x\"\\nhosts = [\"exa mple.com\"]|3|hosts[0]",
        "a bad choice|[agent.x]\\ncommand = \"x\"\\nsettings = \"maybe\"|3|must be one of \"none\", \"claude\", \"codex\"",
        "the own sandbox nested|[agent.x]\\ncommand = \"x\"\\nown_sandbox = \"nested\"|3|"
            + "own_sandbox must be \"off\", not \"nested\": an agent's own sandbox cannot work",
        "a bad name|[agent.X]\\ncommand = \"x\"|1|lowercase letters",
        "not a table|agent = 3|1|agent must be a table",
        "a bad network|[agent.x]\\ncommand = \"x\"\\nnetwork = \"open\"|3|"
            + "agent.x.network must be \"proxy\", \"host\" or \"none\", not \"open\"",
        "a network that is no string|[agent.claude]\\nnetwork = true|2|network must be a string",
        "defaults not a boolean|[agent.codex]\\n\\nnetwork_allow_defaults = \"no\"|3|"
            + "agent.codex.network_allow_defaults must be true or false, not \"no\"",
        "a new profile without command|\\n[agent.x]\\nhosts = [\"a.test\"]|2|command is required",
        "a built-in's command emptied|[agent.claude]\\ncommand = \"\"|2|command is required",
      })
  void aWrongTableNamesTheFileAndLine(String what, String toml, int line, String expected)
      throws IOException {
    Path file = Files.writeString(dir.resolve("config.toml"), toml.replace("\\n", "\n"));
    ConfigException e = assertThrows(ConfigException.class, () -> AgentProfiles.load(file));
    String where = line > 0 ? file + ":" + line + ":" : file + ":";
    assertTrue(e.getMessage().startsWith(where), e.getMessage());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertTrue(!e.getMessage().contains("\n"), e.getMessage());
  }

  @Test
  void theProfileIsInferredFromTheEntrypointsProgramAsTypedOrAsItsRealFile() throws IOException {
    AgentProfiles p = AgentProfiles.builtIn();
    assertEquals("claude", p.inferFrom(List.of("claude", "--verbose")).orElseThrow().name());
    assertEquals("codex", p.inferFrom(List.of("/opt/x/codex.js")).orElseThrow().name());
    assertEquals("claude", p.inferFrom(List.of("/opt/x/claude.exe")).orElseThrow().name());
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path real =
        Files.writeString(Files.createDirectories(dir.resolve("pkg")).resolve("codex.js"), "");
    Files.createSymbolicLink(bin.resolve("cx"), real);
    assertEquals("codex", p.inferFrom(List.of(bin.resolve("cx").toString())).orElseThrow().name());
    assertTrue(p.inferFrom(List.of("/bin/bash")).isEmpty());
    assertTrue(p.inferFrom(List.of()).isEmpty());
  }

  @Test
  void theConfigLoaderAcceptsAgentTables() throws IOException {
    Path file = Files.writeString(dir.resolve("config.toml"), "[agent.x]\ncommand = \"x\"\n");
    assertEquals(Config.DEFAULTS, ConfigLoader.load(file, Path.of("/home/u")));
  }
}
