package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.sandbox.Sandbox;
import dev.robojail.testkit.TestRepo;
import dev.robojail.testkit.TestWorld;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a jail's sandbox is made of, without starting it. */
class JailProfileTest {
  @TempDir Path tmp;
  TestWorld world;
  TestRepo repo;

  @BeforeEach
  void setUp() {
    world = TestWorld.in(tmp);
    repo = world.repo("repo");
  }

  @Test
  void theShellInTheWorktreeWithAnEnvironmentOfItsOwn() {
    Jails jails = world.jails();
    JailState jail = jails.create("p", repo.dir);
    Sandbox s = jails.sandbox(jail, List.of(), false);
    assertEquals(List.of(Config.DEFAULTS.defaultShell()), s.command());
    assertEquals("p", s.hostname());
    assertEquals(jail.worktree().toString(), s.environment().workingDirectory());
    assertTrue(s.lifecycle().newSession(), "not interactive: a session of its own");
    Map<String, String> env = s.environment().variables();
    assertEquals("p", env.get("ROBOJAIL"));
    assertEquals(world.home().toAbsolutePath().normalize().toString(), env.get("HOME"));
    assertEquals(Sandbox.DEFAULT_PATH, env.get("PATH"));
    assertEquals(
        jail.worktree().toString(),
        jails.sandbox(jail, List.of("make"), true).environment().workingDirectory());
    assertEquals(List.of("make"), jails.sandbox(jail, List.of("make"), true).command());
  }

  @Test
  void theEntrypointsDirectoryJoinsThePath() throws IOException {
    Path tool = Files.createDirectories(world.home().resolve("bin")).resolve("agent");
    Files.writeString(tool, "#!/bin/sh\n");
    tool.toFile().setExecutable(true);
    Jails jails = world.jails();
    JailState jail =
        jails.create(
            CreateOptions.builder("e", repo.dir)
                .entrypoint(List.of("~/bin/agent", "--yes"))
                .build());
    assertEquals(List.of(tool.toString(), "--yes"), jail.entrypoint());
    Sandbox s = jails.sandbox(jail, List.of(), false);
    assertEquals(jail.entrypoint(), s.command());
    assertEquals(
        Sandbox.DEFAULT_PATH + ":" + tool.getParent(), s.environment().variables().get("PATH"));
  }

  @Test
  void aBindOfAHiddenPathIsRefusedBeforeAnythingStarts() throws IOException {
    Files.createDirectories(world.home().resolve(".aws"));
    world.config("extra_ro_binds = [\"~/.aws\"]\n");
    Jails jails = world.jails();
    JailState jail = jails.create("h", repo.dir);
    JailException e =
        assertThrows(JailException.class, () -> jails.sandbox(jail, List.of("true"), false));
    assertTrue(e.getMessage().contains("would expose the hidden path"), e.getMessage());
  }
}
