package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.testkit.AgentPackages;
import dev.robojail.testkit.FakeModelApi;
import dev.robojail.testkit.TestRepo;
import dev.robojail.testkit.TestWorld;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's commands for running the agents ("Running Claude Code and Codex"), as a user types
 * them: the agents installed by npm and on PATH, {@code create --agent}, then a task with {@code
 * run}. The model is a fake one on the host's loopback ({@link FakeModelApi}), the one host port of
 * a jail without any other network, as a local model server would be configured.
 */
@NeedsUserNamespaces
class AgentReadmeTest {
  @TempDir Path tmp;
  TestWorld world;
  TestRepo repo;
  MainProcess robojail;
  FakeModelApi api;
  final Map<String, String> env = new HashMap<>();

  @BeforeEach
  void setUp() {
    world = TestWorld.in(tmp);
    repo = world.repo("project");
    api = FakeModelApi.start(FakeModelApi.PROOF_COMMAND);
    world.config(
        api.jailConfig(AgentPackages.dir())
            + "env_passthrough = [\"ANTHROPIC_BASE_URL\","
            + " \"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC\"]\n");
    robojail = new MainProcess(world);
    // Installed with npm, on PATH, as the README's first line has it.
    AgentPackages.claude();
    AgentPackages.codex();
    env.put("PATH", AgentPackages.dir().resolve("node_modules/.bin") + ":" + System.getenv("PATH"));
  }

  @AfterEach
  void tearDown() {
    api.close();
  }

  private void assertTheTaskRanInTheJail(String name, Result r) throws Exception {
    assertEquals(0, r.code(), r.out() + r.err());
    assertEquals(1, api.toolOutputs().size(), r.out() + r.err() + api.unexpected());
    assertTrue(
        api.toolOutputs().getFirst().contains("ran in " + name), api.toolOutputs().toString());
    Path worktree = world.dirs().dataDir().resolve("jails").resolve(name);
    assertEquals(name + "\n", Files.readString(worktree.resolve("proof.txt")));
  }

  @Test
  void claudeRunsATaskWithTheReadmesCommands() throws Exception {
    Result create =
        robojail.run(
            env, "create", "--name", "fix-bug", "--repo", repo.dir.toString(), "--agent", "claude");
    assertEquals(0, create.code(), create.out() + create.err());
    // The login a user without one on the host gives in the shell robojail runs from.
    env.put("ANTHROPIC_API_KEY", "sk-ant-api03-fake");
    env.put("ANTHROPIC_BASE_URL", "http://host.robojail.internal:" + api.port());
    env.put("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
    Result r =
        robojail.run(
            env,
            "run",
            "fix-bug",
            "--",
            "claude",
            "-p",
            "make the tests pass",
            "--allowedTools",
            "Bash");
    assertTheTaskRanInTheJail("fix-bug", r);
    assertTrue(r.out().contains("Done."), r.out());
  }

  @Test
  void codexRunsATaskWithTheReadmesCommands() throws Exception {
    Result create =
        robojail.run(
            env, "create", "--name", "port", "--repo", repo.dir.toString(), "--agent", "codex");
    assertEquals(0, create.code(), create.out() + create.err());
    // The user's choice of provider, in the jail's own Codex configuration (robojail adds the
    // worktree's trust and the sandbox mode to it).
    Path config = world.dirs().dataDir().resolve("homes/port/.codex/config.toml");
    Files.createDirectories(config.getParent());
    Files.writeString(
        config,
        "model = \"fake-model\"\nmodel_provider = \"fake\"\n\n[model_providers.fake]\n"
            + "name = \"fake\"\nbase_url = \"http://host.robojail.internal:"
            + api.port()
            + "/v1\"\nwire_api = \"responses\"\n");
    Result r = robojail.run(env, "run", "port", "--", "codex", "exec", "make the tests pass");
    assertTheTaskRanInTheJail("port", r);
    assertTrue(r.out().contains("Done."), r.out());
  }
}
