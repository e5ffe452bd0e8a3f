package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.testkit.TestRepo;
import dev.robojail.testkit.TestWorld;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code create --agent}: what a profile exposes is printed; an unknown one is one line. */
class AgentCliTest {
  @Test
  void anUnknownProfileIsOneLineListingTheKnownOnesAndNothingIsMade(@TempDir Path tmp) {
    TestWorld world = TestWorld.in(tmp).config("[agent.aider]\ncommand = \"aider\"\n");
    TestRepo repo = world.repo("repo");
    Result r =
        InProcess.run(
            world, "create", "--name", "a", "--repo", repo.dir.toString(), "--agent", "clod");
    assertEquals(2, r.code(), r.out() + r.err());
    assertEquals(
        "robojail: unknown agent profile clod; known profiles: aider, claude, codex;"
            + " see 'robojail create --help'\n",
        r.err());
    Result list = InProcess.run(world, "list");
    assertTrue(list.out().lines().noneMatch(l -> l.startsWith("a ")), list.out());
  }

  @Test
  void createPrintsWhatTheProfileExposes(@TempDir Path tmp) {
    TestWorld world = TestWorld.in(tmp);
    TestRepo repo = world.repo("repo");
    Result r =
        InProcess.run(
            world,
            "create",
            "--name",
            "c",
            "--repo",
            repo.dir.toString(),
            "--agent",
            "claude",
            "--entrypoint",
            "/bin/true");
    assertEquals(0, r.code(), r.out() + r.err());
    String out = r.out();
    assertTrue(out.contains("agent profile claude:"), out);
    assertTrue(out.contains("login file ~/.claude/.credentials.json"), out);
    assertTrue(out.contains("robojail/homes/c (the jail's own"), out);
    assertTrue(out.contains("the agent's own sandbox: off (robojail is the sandbox)"), out);
    assertTrue(!out.contains(".codex"), "nothing of the other agent: " + out);
  }
}
