package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.ffm.Syscalls;
import dev.robojail.testkit.Bootstraps;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starting a sandbox links no pattern switch and no record method of robojail's at run time: each
 * would spin a class (or method handles) that no AOT cache keeps, on every start of a command. The
 * sealed types' {@code Visitor}s keep the compiler's check that every kind is handled.
 */
class NoBootstrapAtStartTest {
  @TempDir Path tmp;

  @Test
  @NeedsUserNamespaces
  void startingASandboxSpinsNothingOfRobojailsOwn() throws Exception {
    String trace = jvm("start");
    assertEquals("written\nexit 0", Files.readString(tmp.resolve("result")));
    assertEquals("to read\n", Files.readString(tmp.resolve("note")));
    assertEquals(List.of(), Bootstraps.spun(trace, log(), SetupPlan.class.getName()));
    assertEquals(List.of(), Bootstraps.segmentAccess(log()));
  }

  @Test
  void theCheckFindsASwitchAndARecordMethodWhereThereAreSome() throws Exception {
    String trace = jvm("control");
    assertEquals("control", Files.readString(tmp.resolve("result")));
    List<String> spun = Bootstraps.spun(trace, log(), NoBootstrapAtStartMain.Key.class.getName());
    String main = NoBootstrapAtStartMain.class.getName();
    assertTrue(
        spun.stream()
            .anyMatch(
                s ->
                    s.startsWith(main + ".main(")
                        && s.endsWith(" linked by java.lang.runtime.SwitchBootstraps.typeSwitch")),
        spun.toString());
    assertTrue(
        spun.stream()
            .anyMatch(
                s ->
                    s.startsWith(main + "$Key.hashCode(")
                        && s.endsWith(" linked by java.lang.runtime.ObjectMethods.bootstrap")),
        spun.toString());
    assertTrue(spun.contains(main + "$$TypeSwitch spun"), spun.toString());
    List<String> segments = Bootstraps.segmentAccess(log());
    assertTrue(segments.contains("java.lang.invoke.VarHandleSegmentAsInts"), segments.toString());
  }

  private Path log() {
    return tmp.resolve("classes.log");
  }

  /** Runs the main in a JVM that traces what it links, and returns that trace. */
  private String jvm(String what) throws Exception {
    List<String> command = new ArrayList<>(List.of(TestJvm.java()));
    command.add("--enable-native-access=ALL-UNNAMED");
    command.addAll(Bootstraps.jvmOptions(log()));
    command.addAll(
        List.of(
            "-cp",
            TestJvm.classPath(
                NoBootstrapAtStartMain.class, Bootstraps.class, Sandbox.class, Syscalls.class),
            NoBootstrapAtStartMain.class.getName(),
            what,
            tmp.toString()));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    return out;
  }
}
