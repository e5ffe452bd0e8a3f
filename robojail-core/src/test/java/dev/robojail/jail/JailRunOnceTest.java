package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.testkit.TestRepo;
import dev.robojail.testkit.TestWorld;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run reads the state once: the session is added in the read that finds the jail, before the
 * sandbox is built, and what used to take reads of its own comes from that one — the host-network
 * warning, the recovery of jails an interrupted robojail left. The attacks on that order: a run
 * whose sandbox cannot be built must not leave a session behind (which would make the jail look
 * running to every later command of a JVM that lives on), and a jail an interrupted create left
 * must still be rolled back before anything runs.
 */
@NeedsUserNamespaces
class JailRunOnceTest {
  @TempDir Path tmp;

  private TestWorld world;
  private TestRepo repo;
  private final List<String> warnings = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() {
    world = TestWorld.in(tmp);
    repo = world.repo("repo");
  }

  private Jails jails() {
    Jails jails = world.jails();
    jails.onWarning(warnings::add);
    return jails;
  }

  @Test
  void aJailWithTheHostsNetworkIsWarnedOfByTheRunItself() throws Exception {
    Jails jails = jails();
    jails.create(CreateOptions.builder("h", repo.dir).network(hostMode()).build());
    jails.create("p", repo.dir);
    Path mark = jails.get("h").worktree().resolve("ran");
    // The warning comes before the command: the mark is not there when it is given.
    jails.onWarning(
        line -> {
          warnings.add(line + (Files.exists(mark) ? " (after the command)" : ""));
        });
    assertEquals(0, jails.run("h", List.of("touch", "ran")));
    assertEquals(List.of(JailNetwork.HOST_WARNING), warnings);
    assertEquals(JailNetwork.HOST_WARNING, jails.hostNetworkWarning("h"));
    warnings.clear();
    assertEquals(0, jails.run("p", List.of("true")));
    assertEquals(List.of(), warnings, "the default proxy shares nothing of the host's network");
  }

  @Test
  void aRunWhoseSandboxCannotBeBuiltLeavesNoSession() throws Exception {
    Jails jails = jails();
    JailState j = jails.create("j", repo.dir);
    Path moved = tmp.resolve("moved");
    Files.move(j.worktree(), moved);
    JailException e = assertThrows(JailException.class, () -> jails.run("j", List.of("true")));
    assertTrue(e.getMessage().contains("j"), e.getMessage());
    // This JVM lives on: a session record left behind would count as a running jail.
    assertFalse(jails.get("j").isAlive());
    assertEquals(List.of(), sessionFiles());
    Files.move(moved, j.worktree());
    assertEquals(0, jails.run("j", List.of("true")));
    assertFalse(jails.get("j").isAlive());
    assertEquals(List.of(), sessionFiles());
  }

  @Test
  void aJailAnInterruptedCreateLeftIsRolledBackBeforeTheRun() throws Exception {
    Jails jails = jails();
    List<String> notes = new CopyOnWriteArrayList<>();
    jails.onRecovery(notes::add);
    jails.create("j", repo.dir);
    JailState left = jails.create("k", repo.dir);
    Supervisor me = Supervisor.current();
    StateStore.of(world.dirs())
        .put(
            left.inPhase(
                JailState.Phase.CREATING,
                new Supervisor(me.pid(), me.startTime() + 1, me.bootId())));
    assertEquals(0, jails.run("j", List.of("true")));
    assertEquals(List.of("rolled back the interrupted creation of jail k"), notes);
    assertTrue(StateStore.of(world.dirs()).get(JailName.of("k")).isEmpty());
    assertFalse(Files.exists(left.worktree(), LinkOption.NOFOLLOW_LINKS));
    // and a run of the interrupted jail itself finds it gone, in one clear line
    JailConflictException gone =
        assertThrows(JailConflictException.class, () -> jails.run("k", List.of("true")));
    assertEquals("no jail named k", gone.getMessage());
  }

  private static JailNetwork hostMode() {
    return new JailNetwork(Config.NetworkMode.HOST, List.of(), List.of());
  }

  private List<Path> sessionFiles() throws Exception {
    Path sessions = world.dirs().stateFile().resolveSibling("sessions");
    if (!Files.isDirectory(sessions)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(sessions)) {
      return s.filter(Files::isRegularFile).toList();
    }
  }
}
