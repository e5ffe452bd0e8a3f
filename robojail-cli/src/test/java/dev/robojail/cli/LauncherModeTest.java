package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.ffm.Programs;
import dev.robojail.testkit.TestWorld;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The launcher's choice between the JIT and the interpreter alone, per command and per terminal, as
 * the JVM it starts reports it ({@code java.vm.info}, printed by {@code -XshowSettings}): the real
 * {@code src/dist/robojail} in a tree whose runtime is this JVM's, run without a terminal and in a
 * real pseudo-terminal ({@code script}), with each standard stream a terminal in turn. Tagged
 * {@code namespace} so that the as-nobody pass runs it again as another user.
 */
@Tag("namespace")
class LauncherModeTest {
  private static final String INTERPRETED = "interpreted mode";
  private static final String JIT = "mixed mode";
  private static final Pattern VM_INFO = Pattern.compile("java\\.vm\\.info = ([^,\\r\\n]+)");

  @TempDir Path tmp;
  TestWorld world;
  Path launcher;

  @BeforeEach
  void setUp() throws IOException {
    world = TestWorld.in(tmp);
    Path tree = Files.createDirectories(tmp.resolve("dist"));
    Files.createDirectories(tree.resolve("bin"));
    Files.createDirectories(tree.resolve("lib"));
    Files.createDirectories(tree.resolve("runtime/bin"));
    // The launcher finds its tree by this jar; no AOT cache is there, which the JVM accepts
    // quietly, as it does an unusable one.
    Files.createFile(tree.resolve("lib/robojail-ffm-test.jar"));
    // This JVM, asked to print its properties first; with --dry-run (for the cases that only
    // look at the mode) it loads Main and ends there, a tenth of a command's time.
    Path java = tree.resolve("runtime/bin/java");
    Files.writeString(
        java,
        "#!/bin/sh\nexec '"
            + ProcessHandle.current().info().command().orElseThrow()
            + "' -XshowSettings:properties ${DRY_RUN:+--dry-run} \"$@\"\n",
        StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    String script =
        source().replace("@CLASSPATH@", MainProcess.classPath()).replace("@VERSION@", "test");
    launcher = tree.resolve("bin/robojail");
    Files.writeString(launcher, script, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource({
    "run x -- true, " + INTERPRETED,
    "exec x -- true, " + INTERPRETED,
    "list, " + INTERPRETED,
    // Long-lived Java on a data path, or work of its own: the JIT whatever the streams.
    "forward x 8080, " + JIT,
    "status x, " + JIT,
    "status x --watch, " + JIT,
    "enter x, " + JIT,
    "doctor, " + JIT,
    // The version alone is one line printed: short, as list is.
    "--version, " + INTERPRETED,
    "-V, " + INTERPRETED,
    "--version --help, " + JIT,
    // A jail named like a command, or a command word after robojail's: the first word decides.
    "status run, " + JIT,
    "create --name list --repo /nonexistent, " + JIT,
  })
  void withoutATerminal(String words, String expected) throws Exception {
    assertEquals(expected, mode(shell(words), Map.of()));
  }

  @ParameterizedTest(name = "{0} ({1})")
  @CsvSource({
    // All three a terminal, then each alone: TerminalRelay relays whenever any is one.
    "run x -- true, '', " + JIT,
    "run x -- true, '>out 2>&1', " + JIT,
    "run x -- true, '</dev/null 2>out', " + JIT,
    "run x -- true, '</dev/null >/dev/null', " + JIT,
    "exec x -- true, '', " + JIT,
    "exec x -- true, '</dev/null >/dev/null', " + JIT,
    "list, '', " + INTERPRETED,
    "status x --watch, '', " + JIT,
  })
  void onATerminal(String words, String redirections, String expected) throws Exception {
    assertEquals(expected, mode(inTerminal(shell(words) + " " + redirections), Map.of()));
  }

  /**
   * The environment a user's shell or a project's tooling may set for Java programs is read by the
   * JVM before the launcher's own options, so it cannot turn the choice around.
   */
  @ParameterizedTest(name = "{0}={1}")
  @CsvSource({
    "JAVA_TOOL_OPTIONS, -Xint",
    "JAVA_TOOL_OPTIONS, -Xmixed",
    "JAVA_TOOL_OPTIONS, -Xcomp",
    "JDK_JAVA_OPTIONS, -Xint",
    "JDK_JAVA_OPTIONS, -Xmixed",
  })
  void javaOptionsInTheEnvironmentDoNotChangeIt(String variable, String option) throws Exception {
    Map<String, String> env = Map.of(variable, option);
    assertEquals(INTERPRETED, mode(shell("run x -- true"), env));
    assertEquals(INTERPRETED, mode(shell("list"), env));
    assertEquals(JIT, mode(inTerminal(shell("run x -- true")), env));
    assertEquals(JIT, mode(shell("status x"), env));
  }

  /** The user's own choice overrides the rule, either way; a value it does not know is refused. */
  @Test
  void robojailJitOverridesTheRule() throws Exception {
    Map<String, String> on = Map.of("ROBOJAIL_JIT", "on");
    assertEquals(JIT, mode(shell("run x -- true"), on));
    assertEquals(JIT, mode(shell("list"), on));
    Map<String, String> off = Map.of("ROBOJAIL_JIT", "off");
    assertEquals(INTERPRETED, mode(inTerminal(shell("run x -- true")), off));
    assertEquals(INTERPRETED, mode(shell("status x"), off));
    Map<String, String> auto = Map.of("ROBOJAIL_JIT", "auto");
    assertEquals(INTERPRETED, mode(shell("run x -- true"), auto));
    assertEquals(JIT, mode(shell("status x"), auto));
    String refused =
        output(List.of("sh", "-c", shell("list") + "; echo rc=$?"), Map.of("ROBOJAIL_JIT", "fast"));
    assertEquals(
        "robojail: ROBOJAIL_JIT is 'fast'; it takes on, off or auto (the default)\nrc=125\n",
        refused);
  }

  /** A real run each way: the interpreter's with its output passed through, the JIT's relayed. */
  @Test
  @NeedsUserNamespaces
  void aJailRunsInEitherMode() throws Exception {
    Path repo = world.repo("repo").dir;
    String created = output(List.of("sh", "-c", shell("create --name j --repo " + repo)), Map.of());
    assertEquals(JIT, vmInfo(created), created);
    String run = shell("run j -- sh -c 'echo ran; exit 3'");
    String piped = output(List.of("sh", "-c", run + "; echo status=$?"), Map.of());
    assertEquals(INTERPRETED, vmInfo(piped), piped);
    assertTrue(piped.contains("ran\nstatus=3\n"), piped);
    String relayed = output(inTerminal(run + "; echo status=$?"), Map.of());
    assertEquals(JIT, vmInfo(relayed), relayed);
    // The jail's terminal turns its newline into CRLF; what script echoes after the end varies.
    int ran = relayed.indexOf("ran\r\n");
    assertTrue(ran >= 0 && relayed.indexOf("status=3", ran) > ran, relayed);
  }

  private String shell(String words) {
    return "'" + launcher + "' " + words;
  }

  private static List<String> inTerminal(String command) {
    Programs.require("/usr/bin/script", "script(1), Debian's bsdutils");
    return List.of("/usr/bin/script", "-qec", command, "/dev/null");
  }

  private String mode(String command, Map<String, String> env) throws Exception {
    return mode(List.of("sh", "-c", command), env);
  }

  private String mode(List<String> command, Map<String, String> env) throws Exception {
    Map<String, String> dry = new LinkedHashMap<>(env);
    dry.put("DRY_RUN", "1");
    return report(command, dry);
  }

  /** What the JVM said of its mode, wherever its standard error went (the terminal, or out). */
  private String report(List<String> command, Map<String, String> env) throws Exception {
    String text = output(command, env);
    Path out = tmp.resolve("out");
    if (Files.exists(out)) {
      text += Files.readString(out, StandardCharsets.UTF_8);
      Files.delete(out);
    }
    return vmInfo(text);
  }

  private static String vmInfo(String text) {
    Matcher m = VM_INFO.matcher(text);
    if (!m.find()) {
      fail("the JVM did not report its mode:\n" + text);
    }
    String info = m.group(1).trim();
    assertTrue(!m.find(), "more than one JVM reported:\n" + text);
    return info;
  }

  /** Runs command in tmp with no terminal, the launcher's JVM asked to print its properties. */
  private String output(List<String> command, Map<String, String> env) throws Exception {
    Path log = Files.createTempFile(tmp, "output", ".txt");
    ProcessBuilder pb =
        new ProcessBuilder(new ArrayList<>(command))
            .directory(tmp.toFile())
            .redirectInput(new File("/dev/null"))
            .redirectOutput(log.toFile())
            .redirectErrorStream(true);
    pb.environment()
        .keySet()
        .removeIf(k -> k.startsWith("ROBOJAIL_") || k.equals("DRY_RUN") || k.contains("JAVA_"));
    pb.environment().putAll(world.env());
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      fail(command + " did not end:\n" + Files.readString(log, StandardCharsets.UTF_8));
    }
    return Files.readString(log, StandardCharsets.UTF_8);
  }

  /** The launcher's source, which the build copies beside this class (robojail-cli's pom). */
  private static String source() throws IOException {
    try (InputStream in = LauncherModeTest.class.getResourceAsStream("dist/robojail")) {
      if (in == null) {
        return fail("src/dist/robojail is not among the test resources");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
