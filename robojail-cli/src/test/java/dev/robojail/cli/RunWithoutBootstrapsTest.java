package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.jail.JailName;
import dev.robojail.testkit.Bootstraps;
import dev.robojail.testkit.TestWorld;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code run} and an {@code exec}, through the real entry point, link no pattern switch and no
 * record method of robojail's at run time: each would spin a class or method handles that the
 * distribution's AOT caches cannot keep, paid again on every command ({@link Bootstraps}); nor does
 * either read or write native memory through a var handle or look up a layout path.
 */
@NeedsUserNamespaces
class RunWithoutBootstrapsTest {
  @TempDir Path tmp;

  @Test
  void runAndExecSpinNothingOfRobojailsOwn() throws Exception {
    TestWorld world = TestWorld.in(tmp);
    MainProcess robojail = new MainProcess(world);
    Result created =
        robojail.run("create", "--name", "j", "--repo", world.repo("repo").dir.toString());
    assertEquals(0, created.code(), created.err());

    assertEquals(List.of(), traced(robojail, "run", "j", "--", "true"));

    Process first = robojail.startRunning("j", world.dirs().jailDir(JailName.of("j")), tmp);
    try {
      assertEquals(List.of(), traced(robojail, "exec", "j", "--", "true"));
    } finally {
      robojail.run("destroy", "--force", "j");
      first.waitFor(30, TimeUnit.SECONDS);
      first.destroyForcibly();
    }
  }

  /** What robojail spun running these arguments in a JVM that traces it; the command must pass. */
  private List<String> traced(MainProcess robojail, String... args) throws Exception {
    Path log = tmp.resolve(args[0] + "-classes.log");
    Path out = tmp.resolve(args[0] + ".out");
    Path err = tmp.resolve(args[0] + ".err");
    List<String> command = new ArrayList<>(robojail.javaCommand(Map.of()));
    command.addAll(1, Bootstraps.jvmOptions(log));
    command.addAll(List.of(args));
    Process p = robojail.start(command, Map.of(), out, err);
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", args) + " did not end");
    }
    assertEquals(0, p.exitValue(), Files.readString(err, StandardCharsets.UTF_8));
    List<String> spun =
        new ArrayList<>(
            Bootstraps.spun(
                Files.readString(out, StandardCharsets.UTF_8),
                log,
                "dev.robojail.sandbox.SetupPlan"));
    for (String c : Bootstraps.segmentAccess(log)) {
      spun.add(c + " loaded");
    }
    return spun;
  }
}
