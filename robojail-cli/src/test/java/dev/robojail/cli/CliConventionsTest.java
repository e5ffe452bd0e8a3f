package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.ffm.Programs;
import dev.robojail.jail.JailName;
import dev.robojail.testkit.TestWorld;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The command-line conventions users know from podman and docker: help, completion, suggestions,
 * one-line usage errors, the exit codes of run and enter, options that stop at the command, several
 * jails at once, short flags, names only, and JSON with a schema version.
 */
class CliConventionsTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @TempDir Path tmp;
  TestWorld world;
  Path repo;

  @BeforeEach
  void setUp() {
    world = TestWorld.in(tmp);
    repo = world.repo("repo").dir;
  }

  Result robojail(String... args) {
    return InProcess.run(world, args);
  }

  private static List<String> subcommands() {
    return new ArrayList<>(Robojail.commandLine(() -> null).getSubcommands().keySet());
  }

  private static void assertUsageLine(Result r, int code, String endsWith) {
    assertEquals(code, r.code(), r.toString());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().startsWith("robojail: "), r.err());
    assertTrue(r.err().strip().endsWith(endsWith), r.err());
  }

  /**
   * {@code --version} alone is printed without reading the annotations, and is the line picocli
   * prints from them, as it still does after any other option.
   */
  @Test
  void theVersionIsTheAnnotatedModelsOneLine() {
    java.io.StringWriter annotated = new java.io.StringWriter();
    Robojail.commandLine(() -> null, new String[] {"--help"})
        .printVersionHelp(new java.io.PrintWriter(annotated));
    assertEquals("robojail " + Robojail.VERSION + "\n", annotated.toString());
    for (String flag : List.of("--version", "-V")) {
      Result r = robojail(flag);
      assertEquals(0, r.code(), r.toString());
      assertEquals(annotated.toString(), r.out());
      assertEquals("", r.err());
    }
    // with other options it is the whole model's, as before: help lists every command
    Result both = robojail("--version", "--help");
    assertEquals(0, both.code(), both.toString());
    assertTrue(both.out().contains("destroy"), both.out());
  }

  @Test
  void helpCommandIsTheCommandsOwnHelp() {
    for (String name : subcommands()) {
      Result help = robojail("help", name);
      assertEquals(0, help.code(), name + ": " + help.err());
      assertEquals(robojail(name, "--help").out(), help.out(), name);
      assertTrue(help.out().contains("Usage: robojail " + name), help.out());
    }
    Result unknown = robojail("help", "nope");
    assertEquals(2, unknown.code(), unknown.toString());
    assertEquals("robojail: unknown command: nope; see 'robojail --help'\n", unknown.err());
    Result mistyped = robojail("help", "destory");
    assertUsageLine(mistyped, 2, "see 'robojail --help'");
    assertTrue(mistyped.err().contains("; did you mean 'destroy'"), mistyped.err());
  }

  @Test
  void everyHelpListsItsExitCodesAndExamples() {
    List<String> names = subcommands();
    names.add(0, null);
    for (String name : names) {
      Result r = name == null ? robojail("--help") : robojail(name, "--help");
      assertEquals(0, r.code(), r.toString());
      if (name != null && name.equals("help")) {
        continue; // picocli's own
      }
      String out = r.out();
      assertTrue(out.contains("\nExit codes:\n"), name + ":\n" + out);
      assertTrue(out.contains("\nExamples:\n  "), name + ":\n" + out);
      assertTrue(out.substring(out.indexOf("\nExamples:")).contains("robojail "), out);
      boolean runs = name != null && Errors.RUNS_A_COMMAND.contains(name);
      for (String code : runs ? List.of("125", "126", "127") : List.of("0", "1", "2", "3", "4")) {
        assertTrue(
            out.lines().anyMatch(l -> l.strip().startsWith(code + " ")), code + " in " + out);
      }
    }
  }

  @Test
  void aMistypedCommandOrOptionGetsPicocliSuggestionInOneLine() {
    Result command = robojail("destory", "j");
    assertUsageLine(command, 2, "see 'robojail --help'");
    assertTrue(
        command.err().startsWith("robojail: unknown command: destory; did you mean 'destroy'"),
        command.err());

    Result option = robojail("list", "--jsno");
    assertUsageLine(option, 2, "see 'robojail list --help'");
    assertTrue(option.err().contains("did you mean '--json'?"), option.err());

    assertUsageLine(robojail("status"), 2, "see 'robojail status --help'");
    // errors the commands find in their arguments themselves, not picocli
    assertUsageLine(robojail("status", "bad name"), 2, "see 'robojail status --help'");
    assertUsageLine(
        robojail("create", "-n", "x", "--network", "bogus"), 2, "see 'robojail create --help'");
    assertUsageLine(
        robojail("forward", "j", "0"), 2, "not a port (1-65535): 0; see 'robojail forward --help'");
    assertUsageLine(robojail("run", "bad name", "true"), 125, "see 'robojail run --help'");
    assertUsageLine(robojail(), 2, "see 'robojail --help'");
  }

  @Test
  void usageErrorsOfRunAndEnterAreRobojailsOwn125() {
    for (String[] args :
        List.of(
            new String[] {"run"},
            new String[] {"run", "j"},
            new String[] {"run", "j", "--"},
            new String[] {"run", "--bogus", "j", "true"},
            new String[] {"enter"})) {
      assertUsageLine(robojail(args), 125, "see 'robojail " + args[0] + " --help'");
    }
    assertUsageLine(robojail("run", "nope", "true"), 125, "no jail named nope");
  }

  @Test
  void listQuietPrintsNamesOnlyAndJsonHasASchemaVersionAndTheFieldsOfStatus() throws Exception {
    for (String n : List.of("b", "a")) {
      assertEquals(0, robojail("create", "-n", n, "-r", repo.toString()).code());
    }
    Result quiet = robojail("list", "-q");
    assertEquals("a\nb\n", quiet.out());
    assertEquals("", quiet.err());

    JsonNode list = JSON.readTree(robojail("list", "--json").out());
    assertEquals(1, list.get("schemaVersion").asInt());
    assertEquals(2, list.get("jails").size());
    JsonNode a = list.get("jails").get(0);
    assertEquals("a", a.get("name").asString());

    JsonNode status = JSON.readTree(robojail("status", "a", "--json").out());
    assertEquals(1, status.get("schemaVersion").asInt());
    // every field list shows, status shows under the same name, with the same value
    for (Iterator<Map.Entry<String, JsonNode>> it = a.properties().iterator(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      assertEquals(field.getValue(), status.get(field.getKey()), field.getKey());
    }
    assertEquals("stopped", status.get("state").asString());
    assertEquals(0, status.get("added").asInt());
  }

  @Test
  void destroyTakesSeveralJailsAndGoesOnPastOneThatFails() throws IOException {
    for (String n : List.of("a", "b", "c", "d")) {
      assertEquals(0, robojail("create", "--name", n, "--repo", repo.toString()).code());
    }
    Files.writeString(world.dirs().jailDir(JailName.of("c")).resolve("dirty.txt"), "x\n");

    Result r = robojail("destroy", "a", "nope", "c", "b");
    assertEquals(3, r.code(), r.toString()); // the first failure's
    assertEquals(
        List.of("robojail: no jail named nope", "robojail: jail c has uncommitted changes"),
        r.err().lines().map(l -> l.replaceAll(";.*", "")).toList(),
        r.err());
    assertEquals(List.of("destroyed jail a", "destroyed jail b"), r.out().lines().toList());
    assertEquals("c\nd\n", robojail("list", "-q").out());

    Result forced = robojail("destroy", "-f", "c", "d");
    assertEquals(0, forced.code(), forced.toString());
    assertEquals("", robojail("list", "-q").out());
  }

  @Test
  void shortFlags() {
    CommandLine cl = Robojail.commandLine(() -> null);
    Map<String, List<String>> expected =
        Map.of(
            "create", List.of("-n", "-r", "-b"),
            "destroy", List.of("-f"),
            "merge", List.of("-y"),
            "list", List.of("-q"),
            "relocate", List.of("-r"));
    expected.forEach(
        (command, flags) -> {
          for (String flag : flags) {
            assertTrue(
                cl.getSubcommands().get(command).getCommandSpec().findOption(flag) != null,
                command + " " + flag);
          }
        });
    Result created = robojail("create", "-n", "s", "-r", repo.toString(), "-b", "HEAD");
    assertEquals(0, created.code(), created.toString());
  }

  @Nested
  @NeedsUserNamespaces
  class InJail {
    MainProcess main;

    @BeforeEach
    void createTheJail() throws Exception {
      main = new MainProcess(world);
      Result created = main.run("create", "--name", "j", "--repo", repo.toString());
      assertEquals(0, created.code(), created.toString());
    }

    @Test
    void runPassesTheCommandsStatusThroughAndNeedsNoDashes() throws Exception {
      Result own = main.run("run", "j", "sh", "-c", "echo \"$@\"; exit 42", "x", "-j4", "--help");
      assertEquals(42, own.code(), own.toString());
      assertEquals("-j4 --help\n", own.out());
      assertEquals("", own.err());
      Result dashes = main.run("run", "j", "--", "sh", "-c", "exit 3");
      assertEquals(3, dashes.code(), dashes.toString());
    }

    @Test
    void aCommandThatIsNotThereIs127InOneLine() throws Exception {
      for (String cmd : List.of("no-such-command-xyz", "/no/such/tool")) {
        Result r = main.run("run", "j", cmd);
        assertEquals(127, r.code(), r.toString());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(
            r.err().startsWith("robojail: command not found in the sandbox: " + cmd), r.err());
      }
    }

    @Test
    void aCommandThatCannotBeExecutedIs126InOneLine() throws Exception {
      // README is the repository's, in the worktree, the working directory, and not executable
      Result r = main.run("run", "j", "./README");
      assertEquals(126, r.code(), r.toString());
      assertEquals(1, r.err().lines().count(), r.err());
      assertTrue(
          r.err().startsWith("robojail: cannot execute ./README in the sandbox: permission denied"),
          r.err());
    }

    @Test
    void robojailsOwnFailureInRunIs125() throws Exception {
      world.config("network_enabled = \"maybe\"\n");
      Result r = main.run("run", "j", "true");
      assertEquals(125, r.code(), r.toString());
      assertEquals(1, r.err().lines().count(), r.err());
      assertTrue(r.err().contains("network_enabled"), r.err());
      // the same failure elsewhere keeps its own code
      assertEquals(2, main.run("list").code());
    }

    @Test
    void enterWithoutATerminalSaysSoAndWhatToUse() throws Exception {
      Result r = main.run("enter", "j");
      assertEquals(125, r.code(), r.toString());
      assertEquals(1, r.err().lines().count(), r.err());
      assertTrue(r.err().contains("enter needs a terminal"), r.err());
      assertTrue(r.err().contains("robojail run j -- COMMAND"), r.err());
    }

    /** On a real terminal (script(1)), the shell's prompt names the jail. */
    @Test
    void theShellInEnterShowsTheJailsNameInItsPrompt() throws Exception {
      Programs.require("/usr/bin/script", "script(1), Debian's bsdutils");
      world.config("default_shell = \"/bin/sh\"\n");
      String screen = onATerminal("echo \"ps1=[$PS1]\"; exit 5\r", 5);
      assertTrue(screen.contains("(robojail j) $ "), screen);
      assertTrue(screen.contains("ps1=[(robojail j) $ ]"), screen);

      // bash reads /etc/bash.bashrc, whose own prompt wins; that one names the jail too
      Programs.require("/bin/bash", "bash");
      world.config("default_shell = \"/bin/bash\"\n");
      // ${PS1@P} is the prompt as bash shows it: the screen may show a long one scrolled
      String bash =
          onATerminal(
              "echo \"host=$(hostname) chroot=$debian_chroot prompt=${PS1@P}\"; exit 6\r", 6);
      assertTrue(bash.contains("host=j chroot=robojail"), bash);
      String bashrc =
          Files.isReadable(Path.of("/etc/bash.bashrc"))
              ? Files.readString(Path.of("/etc/bash.bashrc"))
              : "";
      if (bashrc.contains("debian_chroot")) {
        assertTrue(bash.contains("prompt=(robojail)"), bash);
      }
    }

    private static String shown(StringBuilder screen) {
      synchronized (screen) {
        return screen.toString();
      }
    }

    private String onATerminal(String keys, int status) throws Exception {
      String command =
          main.javaCommand(Map.of()).stream()
                  .map(a -> "'" + a + "'")
                  .collect(Collectors.joining(" "))
              + " enter j";
      ProcessBuilder pb =
          new ProcessBuilder("/usr/bin/script", "-qefc", command, "/dev/null")
              .redirectErrorStream(true);
      pb.environment().clear();
      pb.environment().putAll(System.getenv());
      pb.environment().keySet().removeIf(k -> k.startsWith("ROBOJAIL_") || k.startsWith("GIT_"));
      pb.environment().putAll(world.env());
      Process shell = pb.start();
      StringBuilder screen = new StringBuilder();
      Thread reader =
          Thread.ofPlatform()
              .start(
                  () -> {
                    try (InputStream in = shell.getInputStream()) {
                      byte[] b = new byte[4096];
                      int n;
                      while ((n = in.read(b)) > 0) {
                        synchronized (screen) {
                          screen.append(new String(b, 0, n, StandardCharsets.UTF_8));
                        }
                      }
                    } catch (IOException e) {
                      // the terminal closed
                    }
                  });
      try {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        // the prompt ends in "$ " (or "# " for root, in bash's)
        while (!shown(screen).matches("(?s).*[$#] $")
            && shell.isAlive()
            && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        assertTrue(
            shown(screen).matches("(?s).*[$#] $"), "no prompt on the screen:\n" + shown(screen));
        OutputStream in = shell.getOutputStream();
        in.write(keys.getBytes(StandardCharsets.UTF_8));
        in.flush();
        assertTrue(shell.waitFor(60, TimeUnit.SECONDS), screen.toString());
        reader.join(5000);
        synchronized (screen) {
          assertEquals(status, shell.exitValue(), screen.toString());
          assertFalse(screen.toString().contains("robojail: "), screen.toString());
          return screen.toString();
        }
      } finally {
        shell.destroyForcibly();
      }
    }
  }
}
