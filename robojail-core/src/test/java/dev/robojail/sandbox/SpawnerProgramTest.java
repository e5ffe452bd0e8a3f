package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.ffm.SetupProgram;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/**
 * A start reuses the program it made last for the same spec, host facts and descriptors, and makes
 * a fresh one for anything else; each is the program {@link SetupPlan} makes for them.
 */
@NeedsUserNamespaces
class SpawnerProgramTest {
  private static final SetupPlan.Descriptors INHERITED =
      new SetupPlan.Descriptors(-1, -1, -1, -1, -1);

  private final Sandbox spec = Sandbox.builder().minimalSystem().command("/bin/true").build();

  private static HostFacts facts(long inotifyInstances) {
    return new HostFacts(1024, 4096, 6, 40, -1, Map.of("max_inotify_instances", inotifyInstances));
  }

  @Test
  void theSameSpecOnTheSameFactsWithTheSameDescriptorsGetsTheProgramMadeLast() throws Exception {
    SetupProgram first = Spawner.program(spec, facts(128), INHERITED);
    // equal facts and descriptors, not the same objects: as each start probes and makes them anew
    SetupProgram again =
        Spawner.program(spec, facts(128), new SetupPlan.Descriptors(-1, -1, -1, -1, -1));
    assertSame(first, again);
    assertSameSteps(SetupPlan.program(spec, facts(128), INHERITED), again);
  }

  @Test
  void otherDescriptorsOtherFactsOrAnotherSpecGetAProgramOfTheirOwn() throws Exception {
    SetupProgram first = Spawner.program(spec, facts(128), INHERITED);

    SetupPlan.Descriptors piped = new SetupPlan.Descriptors(-1, 11, 12, -1, -1);
    SetupProgram otherFds = Spawner.program(spec, facts(128), piped);
    assertNotSame(first, otherFds);
    assertSameSteps(SetupPlan.program(spec, facts(128), piped), otherFds);

    SetupProgram otherFacts = Spawner.program(spec, facts(64), INHERITED);
    assertNotSame(first, otherFacts);
    assertSameSteps(SetupPlan.program(spec, facts(64), INHERITED), otherFacts);
    assertTrue(
        otherFacts.toString().contains("\"32\\n\""),
        "half of the user's 64 inotify instances: " + otherFacts);

    Sandbox equalSpec = spec.toBuilder().build();
    assertEquals(spec, equalSpec);
    SetupProgram otherSpec = Spawner.program(equalSpec, facts(128), INHERITED);
    assertNotSame(first, otherSpec);
    assertSameSteps(first, otherSpec);

    Sandbox differentSpec = spec.toBuilder().command("/bin/false").build();
    SetupProgram different = Spawner.program(differentSpec, facts(128), INHERITED);
    assertSameSteps(SetupPlan.program(differentSpec, facts(128), INHERITED), different);
    assertTrue(different.toString().contains("/bin/false"), different.toString());
  }

  /** For real: one spec started again and again, its output piped each time. */
  @Test
  void aSpecStartedAgainAndAgainRunsItsCommandEachTime() throws Exception {
    Sandbox echo =
        Sandbox.builder()
            .minimalSystem()
            .command("/bin/sh", "-c", "echo \"$0\"", "hello")
            .stdout(Stdio.pipe())
            .build();
    for (int i = 0; i < 5; i++) {
      SandboxProcess p = echo.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, p.waitFor(), "round " + i);
      assertEquals("hello\n", out, "round " + i);
      p.getInputStream().close();
    }
  }

  /** The memo keeps nothing alive: a spec's environment may be a secret its caller dropped. */
  @Test
  void aProgramAndItsSpecAreKeptOnlyWhileTheCallerHoldsThem() throws Exception {
    Sandbox secret =
        Sandbox.builder().command("/bin/true").env("TOKEN", "s3cret-" + System.nanoTime()).build();
    SetupProgram program = Spawner.program(secret, facts(128), INHERITED);
    assertSame(program, Spawner.program(secret, facts(128), INHERITED));
    java.lang.ref.WeakReference<Sandbox> spec = new java.lang.ref.WeakReference<>(secret);
    java.lang.ref.WeakReference<SetupProgram> made = new java.lang.ref.WeakReference<>(program);
    secret = null;
    program = null;
    for (int i = 0; i < 50 && (spec.get() != null || made.get() != null); i++) {
      System.gc();
      Thread.sleep(10);
    }
    assertEquals(null, spec.get(), "the spec is not held");
    assertEquals(null, made.get(), "nor its program");
  }

  // Step by step, argument by argument, arrays by their contents (an argument's record holds them).
  private static void assertSameSteps(SetupProgram expected, SetupProgram actual) throws Exception {
    List<SetupProgram.Step> e = expected.steps();
    List<SetupProgram.Step> a = actual.steps();
    assertEquals(e.size(), a.size());
    for (int i = 0; i < e.size(); i++) {
      SetupProgram.Step x = e.get(i);
      SetupProgram.Step y = a.get(i);
      String at = "step " + i + ": " + x;
      assertEquals(x.name(), y.name(), at);
      assertEquals(x.nr(), y.nr(), at);
      assertEquals(x.tolerated(), y.tolerated(), at);
      assertEquals(x.expected(), y.expected(), at);
      assertEquals(x.stage(), y.stage(), at);
      assertEquals(x.resultTo() == null, y.resultTo() == null, at);
      assertEquals(x.args().size(), y.args().size(), at);
      for (int j = 0; j < x.args().size(); j++) {
        assertTrue(sameArg(x.args().get(j), y.args().get(j)), at + ", argument " + j);
      }
    }
    assertEquals(expected.toString(), actual.toString());
  }

  private static boolean sameArg(Object x, Object y) throws Exception {
    if (x == null || y == null || x.getClass() != y.getClass()) {
      return x == y;
    }
    if (!x.getClass().isRecord()) {
      // a slot is its own object in each program, named alike
      return x.equals(y) || x instanceof SetupProgram.Slot && x.toString().equals(y.toString());
    }
    for (RecordComponent c : x.getClass().getRecordComponents()) {
      c.getAccessor().setAccessible(true);
      Object u = c.getAccessor().invoke(x);
      Object v = c.getAccessor().invoke(y);
      boolean same;
      if (u instanceof List<?> l && v instanceof List<?> m) {
        same = l.size() == m.size();
        for (int i = 0; same && i < l.size(); i++) {
          same = sameArg(l.get(i), m.get(i));
        }
      } else {
        same = u != null && !u.getClass().isArray() ? sameArg(u, v) : Objects.deepEquals(u, v);
      }
      if (!same) {
        return false;
      }
    }
    return true;
  }
}
