package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.net.HostPorts;
import dev.robojail.sandbox.Stdio;
import dev.robojail.testkit.AgentPackages;
import dev.robojail.testkit.FakeModelApi;
import dev.robojail.testkit.TestRepo;
import dev.robojail.testkit.TestWorld;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real agents doing work in a real jail: with no vendor API reachable, Claude Code ({@code
 * claude -p}) and Codex ({@code codex exec}) talk to a fake model API served by this test on the
 * host's loopback ({@link FakeModelApi}), reached from inside as a real local server would be, at
 * {@code host.robojail.internal} through the jail's {@code host_ports}. The model asks for one
 * shell command; the agent runs it in the jail, with its own sandbox as the profile set it, and
 * sends the output back; the model ends the turn.
 */
@NeedsUserNamespaces
class AgentWorkTest {
  @TempDir Path tmp;
  TestWorld world;
  TestRepo repo;
  Path home;
  FakeModelApi api;

  @BeforeEach
  void setUp() throws IOException {
    world = TestWorld.in(tmp);
    repo = world.repo("repo");
    home = world.home();
    api = FakeModelApi.start(FakeModelApi.PROOF_COMMAND);
    world.config(api.jailConfig(AgentPackages.dir()));
    write(".claude/.credentials.json", AgentJailTest.claudeToken("sk-ant-oat01-host"));
    write(".claude.json", "{\"userID\":\"u1\",\"hasCompletedOnboarding\":true}");
    write(".codex/auth.json", "{\"auth_mode\":\"apikey\",\"OPENAI_API_KEY\":\"sk-test-01234\"}");
    write(".codex/config.toml", "model = \"gpt-5\"\n");
  }

  @AfterEach
  void tearDown() {
    api.close();
  }

  private void write(String relative, String text) throws IOException {
    Path p = home.resolve(relative);
    Files.createDirectories(p.getParent());
    Files.writeString(p, text);
  }

  private String url() {
    return "http://" + HostPorts.NAME + ":" + api.port();
  }

  private record Result(int status, String output) {}

  private Result run(Jails jails, String jail, List<String> command) throws IOException {
    Path out = Files.createTempFile(tmp, "out", ".txt");
    // A bound on a hung agent, inside, so that the jail ends with it.
    List<String> argv = new ArrayList<>(List.of("timeout", "180"));
    argv.addAll(command);
    int status =
        jails.run(
            jail,
            argv,
            false,
            b -> b.stdin(Stdio.discard()).stdout(Stdio.file(out)).redirectErrorStream(true));
    return new Result(status, Files.readString(out));
  }

  // Every file of the user's home with its bytes, and the user's repository's files.
  private Map<String, String> hostFiles() throws IOException {
    Map<String, String> files = new TreeMap<>();
    for (Path top : List.of(home, repo.dir)) {
      try (Stream<Path> all = Files.walk(top)) {
        for (Path p : all.filter(Files::isRegularFile).toList()) {
          if (!p.startsWith(repo.dir.resolve(".git"))) {
            files.put(tmp.relativize(p).toString(), Files.readString(p));
          }
        }
      }
    }
    return files;
  }

  private void assertTheToolRanInTheJail(JailState jail, Result r) throws IOException {
    String name = jail.name().value();
    assertEquals(1, api.toolCalls(), r.output());
    assertEquals(
        1, api.toolOutputs().size(), "the tool's output came back: " + r + " " + api.unexpected());
    assertTrue(
        api.toolOutputs().getFirst().contains("ran in " + name), api.toolOutputs().getFirst());
    assertEquals(name + "\n", Files.readString(jail.worktree().resolve("proof.txt")));
    assertEquals(List.of(), api.unexpected());
  }

  @Test
  void claudeCodeRunsABashToolCallInTheJail() throws IOException {
    Path claude = AgentPackages.claude();
    Jails jails = world.jails();
    JailState jail =
        jails.create(
            CreateOptions.builder("c", repo.dir).entrypoint(List.of(claude.toString())).build());
    Map<String, String> before = hostFiles();
    Result r =
        run(
            jails,
            "c",
            List.of(
                "env",
                "ANTHROPIC_BASE_URL=" + url(),
                "ANTHROPIC_API_KEY=sk-ant-api03-fake",
                "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
                claude.toString(),
                "-p",
                "Write the proof file.",
                // Allowed by name, as a user would: --dangerously-skip-permissions is refused as
                // root, and the build runs these tests as root too.
                "--allowedTools",
                "Bash"));
    assertEquals(0, r.status(), r.output());
    assertTrue(r.output().contains("Done."), r.output());
    assertTheToolRanInTheJail(jail, r);
    assertEquals(before, hostFiles(), "nothing of the user's home or repository changed");
  }

  @Test
  void codexRunsAShellToolCallInTheJailWithTheProfilesSandboxMode() throws IOException {
    Path codex = AgentPackages.codex();
    Jails jails = world.jails();
    JailState jail =
        jails.create(
            CreateOptions.builder("x", repo.dir).entrypoint(List.of(codex.toString())).build());
    Map<String, String> before = hostFiles();
    Result r =
        run(
            jails,
            "x",
            List.of(
                codex.toString(),
                "exec",
                // A provider of the user's choosing, as config.toml would have it; the sandbox
                // mode is left to the profile.
                "-c",
                "model_provider=\"fake\"",
                "-c",
                "model_providers.fake={name=\"fake\",base_url=\""
                    + url()
                    + "/v1\",wire_api=\"responses\"}",
                "-m",
                "fake-model",
                "Write the proof file."));
    assertEquals(0, r.status(), r.output());
    assertTrue(r.output().contains("Done."), r.output());
    assertTheToolRanInTheJail(jail, r);
    // Codex tells the model how its commands ran: outside its own sandbox, as the profile says.
    String turn = api.conversationHeaders().getFirst().get("X-codex-turn-metadata").getFirst();
    assertTrue(turn.contains("\"sandbox_mode\":\"danger-full-access\""), turn);
    assertFalse(r.output().contains("sandbox error"), r.output());
    assertEquals(before, hostFiles(), "nothing of the user's home or repository changed");
  }

  @Test
  void anAgentsOwnSandboxAskedForIsRefusedInOneLineBeforeTheAgentRuns() throws IOException {
    Path claude = AgentPackages.claude();
    Path codex = AgentPackages.codex();
    Jails jails = world.jails();
    InvalidInputException atCreate =
        assertThrows(
            InvalidInputException.class,
            () ->
                jails.create(
                    CreateOptions.builder("y", repo.dir)
                        .entrypoint(List.of(codex.toString(), "--full-auto"))
                        .build()));
    assertTrue(atCreate.getMessage().contains(AgentProfile.OWN_SANDBOX_OFF), atCreate.getMessage());
    assertTrue(jails.list().isEmpty(), "nothing was made");

    jails.create(
        CreateOptions.builder("x", repo.dir).entrypoint(List.of(codex.toString())).build());
    InvalidInputException atRun =
        assertThrows(
            InvalidInputException.class,
            () ->
                jails.run(
                    "x",
                    List.of(codex.toString(), "exec", "-s", "workspace-write", "hi"),
                    false,
                    b -> b.stdin(Stdio.discard())));
    assertTrue(
        atRun
            .getMessage()
            .startsWith("codex's own sandbox is asked for (--sandbox workspace-write)"),
        atRun.getMessage());

    // The jail (its agent) turns Claude Code's sandbox on in the project's settings: the next run
    // of the agent says so, and other commands still run.
    JailState c =
        jails.create(
            CreateOptions.builder("c", repo.dir).entrypoint(List.of(claude.toString())).build());
    Result wrote =
        run(
            jails,
            "c",
            List.of(
                "/bin/sh",
                "-c",
                "mkdir -p .claude && echo '{\"sandbox\":{\"enabled\":true}}' >"
                    + " .claude/settings.json && echo wrote"));
    assertTrue(wrote.output().contains("wrote"), wrote.output());
    InvalidInputException claudeRun =
        assertThrows(
            InvalidInputException.class,
            () ->
                jails.run(
                    "c",
                    List.of(claude.toString(), "-p", "hi"),
                    false,
                    b -> b.stdin(Stdio.discard())));
    assertTrue(
        claudeRun
            .getMessage()
            .contains("sandbox.enabled in " + c.worktree().resolve(".claude/settings.json")),
        claudeRun.getMessage());
    assertEquals(0, api.toolCalls(), "no agent ran");
  }
}
