package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.Programs;
import dev.robojail.testkit.TestWorld;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * The scripts of {@code robojail completion SHELL}, loaded by the real bash, zsh and fish, complete
 * a line the way a user types it: commands, options, option values, and the names of real jails
 * that a real robojail on PATH lists. A robojail that fails (a broken configuration, none on PATH)
 * leaves the line alone, with nothing printed.
 *
 * <p>Tagged {@code namespace} although it starts no jail, so that the build run as root runs it
 * again as nobody: the jails' names must come back for an unprivileged user too.
 */
@Tag("namespace")
class CompletionTest {
  /** Every command that takes a jail's name; a new one must label it JAIL to be completed. */
  private static final Set<String> TAKE_A_JAIL =
      Set.of("run", "enter", "exec", "forward", "status", "merge", "relocate", "destroy");

  @TempDir Path tmp;
  TestWorld world;
  Path repo;
  Path bin;

  @BeforeEach
  void setUp() throws IOException {
    world = TestWorld.in(tmp);
    repo = world.repo("repo").dir;
    for (String name : List.of("alpha-one", "beta-two")) {
      Result r = InProcess.run(world, "create", "--name", name, "--repo", repo.toString());
      assertEquals(0, r.code(), r.toString());
    }
    // The robojail the scripts ask for the jails: this build, in this test's world.
    bin = Files.createDirectories(tmp.resolve("bin"));
    Path launcher = bin.resolve("robojail");
    String env =
        world.env().entrySet().stream()
            .map(e -> e.getKey() + "=" + Completions.sh(e.getValue()))
            .collect(Collectors.joining(" "));
    String java =
        new MainProcess(world)
            .javaCommand(Map.of()).stream().map(Completions::sh).collect(Collectors.joining(" "));
    Files.writeString(
        launcher,
        "#!/bin/sh\nenv " + env + " " + java + " \"$@\"\nrc=$?\n: >" + asked() + "\nexit $rc\n");
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private Path script(Completions.Shell shell) throws IOException {
    Result r = InProcess.run(world, "completion", shell.name());
    assertEquals(0, r.code(), r.toString());
    assertEquals("", r.err());
    return Files.writeString(tmp.resolve("completion." + shell), r.out());
  }

  @Test
  void theCommandsThatTakeAJailLabelItSo() {
    CommandLine cl = Robojail.commandLine(() -> null);
    Set<String> labelled = new TreeSet<>();
    cl.getSubcommands()
        .forEach(
            (name, sub) -> {
              for (PositionalParamSpec p : sub.getCommandSpec().positionalParameters()) {
                if (p.paramLabel().equals("JAIL")) {
                  labelled.add(name);
                }
              }
            });
    assertEquals(new TreeSet<>(TAKE_A_JAIL), labelled);
  }

  // --- bash -----------------------------------------------------------------------------------

  private List<String> bash(String... words) throws Exception {
    return bashWithPath(pathWithRobojail(), words);
  }

  private List<String> bashWithPath(String path, String... words) throws Exception {
    Programs.require("/bin/bash", "bash");
    String complete =
        "source \"$1\"; shift; COMP_WORDS=(\"$@\"); COMP_CWORD=$(( $# - 1 ));"
            + " COMP_LINE=\"$*\"; COMP_POINT=${#COMP_LINE}; _robojail;"
            + " printf '%s\\n' \"${COMPREPLY[@]}\"";
    List<String> argv =
        new ArrayList<>(
            List.of(
                "/bin/bash", "-c", complete, "bash", script(Completions.Shell.bash).toString()));
    argv.addAll(List.of(words));
    Result r = shell(path, argv);
    assertEquals("", r.err(), "nothing may be printed into the line being typed");
    return r.out().lines().filter(l -> !l.isEmpty()).sorted().toList();
  }

  @Test
  void bashCompletesTheJailsNamesForEveryCommandThatTakesOne() throws Exception {
    for (String command : TAKE_A_JAIL) {
      assertEquals(List.of("alpha-one", "beta-two"), bash("robojail", command, ""), command);
      assertEquals(List.of("beta-two"), bash("robojail", command, "b"), command);
    }
    // after options, and for each of destroy's jails
    assertEquals(List.of("alpha-one", "beta-two"), bash("robojail", "destroy", "-f", ""));
    assertEquals(List.of("beta-two"), bash("robojail", "destroy", "alpha-one", "be"));
    // what follows the jail in run is the jailed command's, not a jail or an option
    assertEquals(List.of(), bash("robojail", "run", "alpha-one", ""));
    assertEquals(List.of(), bash("robojail", "run", "alpha-one", "--"));
    assertEquals(List.of(), bash("robojail", "forward", "alpha-one", ""));
  }

  @Test
  void bashStillCompletesCommandsOptionsAndTheirValues() throws Exception {
    assertEquals(List.of("destroy", "doctor"), bash("robojail", "d"));
    assertEquals(List.of("--json"), bash("robojail", "list", "--j"));
    assertEquals(List.of("-q"), bash("robojail", "list", "-q"));
    assertEquals(List.of("--version"), bash("robojail", "--v"));
    assertEquals(List.of("bash", "fish", "zsh"), bash("robojail", "completion", ""));
    assertEquals(List.of("destroy", "doctor"), bash("robojail", "help", "d"));
    assertEquals(List.of("--diff"), bash("robojail", "status", "alpha-one", "--d"));
    // an option's value: a file for --repo, nothing to guess for --name or --interval
    assertEquals(
        List.of(repo.toString()),
        bash(
            "robojail",
            "create",
            "-r",
            repo.toString().substring(0, repo.toString().length() - 1)));
    assertEquals(List.of(), bash("robojail", "create", "--name", ""));
    assertEquals(List.of(), bash("robojail", "status", "--interval", ""));
    assertEquals(
        List.of("alpha-one", "beta-two"), bash("robojail", "status", "--interval", "3", ""));
  }

  @Test
  void aFailingRobojailLeavesTheLineAloneAndPrintsNothing() throws Exception {
    world.config("bogus = [\n");
    Result broken = InProcess.run(world, "list", "-q");
    assertEquals(2, broken.code(), broken.toString());
    assertEquals(List.of(), bash("robojail", "run", ""));
    assertEquals(List.of("run"), bash("robojail", "ru"));
    // and with no robojail on PATH at all (bash would say "command not found")
    assertEquals(List.of(), bashWithPath("/usr/bin:/bin", "robojail", "status", ""));
  }

  // --- zsh ------------------------------------------------------------------------------------

  /**
   * An interactive zsh on a pseudo-terminal (zsh's own zpty), with compinit and the script in
   * fpath, as a user's shell autoloads it: types {@code line} and a Tab, and returns what the
   * terminal showed, without its control sequences, once it shows {@code expected} (a zsh pattern),
   * or when none is given once robojail was asked for the jails.
   */
  private String zsh(String line, String expected) throws Exception {
    Programs.require("/usr/bin/zsh", "zsh");
    Path fpath = Files.createDirectories(tmp.resolve("zfunc"));
    Files.copy(
        script(Completions.Shell.zsh),
        fpath.resolve("_robojail"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.deleteIfExists(asked());
    String driver =
        """
        zmodload zsh/zpty
        zpty z TERM=dumb zsh -f -i
        zpty -w z "PS1='> '; fpath=($1 \\$fpath); autoload -U compinit; compinit -u -D; print READY"
        zpty -r z out '*READY*'
        zpty -r z out '*> '
        zpty -w -n z "$2"$'\\t'
        out=
        SECONDS=0
        while (( SECONDS < 90 )); do
          while zpty -r -t z l; do out+=$l; done
          if [[ -n $3 ]]; then [[ $out == *$~3* ]] && break
          elif [[ -e $4 ]]; then sleep 1; while zpty -r -t z l; do out+=$l; done; break; fi
          sleep 0.1
        done
        print -r -- $out
        zpty -d z
        """;
    Result r =
        shell(
            pathWithRobojail(),
            List.of(
                "/usr/bin/zsh",
                "-f",
                "-c",
                driver,
                "zsh",
                fpath.toString(),
                line,
                expected,
                asked().toString()));
    assertEquals("", r.err());
    String shown = r.out().replaceAll("\u001b\\[[0-9;?]*[A-Za-z]", "").replace("\r", "");
    return shown.substring(Math.max(0, shown.indexOf(line)));
  }

  @Test
  void zshCompletesTheJailsNamesCommandsAndOptions() throws Exception {
    String jails = zsh("robojail run ", "*beta-two*");
    assertTrue(jails.contains("alpha-one") && jails.contains("beta-two"), jails);
    String one = zsh("robojail destroy alpha-one be", "*beta-two*");
    assertTrue(one.contains("robojail destroy alpha-one beta-two"), one);
    assertTrue(zsh("robojail destr", "*destroy*").contains("robojail destroy"));
    assertTrue(zsh("robojail list --qu", "*--quiet*").contains("robojail list --quiet"));
  }

  @Test
  void zshPrintsNothingWhenRobojailFails() throws Exception {
    world.config("bogus = [\n");
    String shown = zsh("robojail status ", "");
    assertTrue(Files.exists(asked()), "robojail was not asked: " + shown);
    assertFalse(shown.contains("robojail:"), shown);
    assertFalse(shown.contains("alpha-one"), shown);
  }

  // The launcher leaves this behind each time it ran.
  private Path asked() {
    return tmp.resolve("asked");
  }

  // --- fish -----------------------------------------------------------------------------------

  private List<String> fish(String line) throws Exception {
    Programs.require("/usr/bin/fish", "fish");
    Result r =
        shell(
            pathWithRobojail(),
            List.of(
                "/usr/bin/fish",
                "--no-config",
                "-c",
                "source $argv[1]; complete -C $argv[2]",
                script(Completions.Shell.fish).toString(),
                line));
    assertEquals("", r.err());
    return r.out().lines().map(l -> l.replaceAll("\t.*", "")).sorted().toList();
  }

  @Test
  void fishCompletesTheJailsNamesCommandsOptionsAndValues() throws Exception {
    for (String command : TAKE_A_JAIL) {
      assertEquals(List.of("alpha-one", "beta-two"), fish("robojail " + command + " "), command);
    }
    assertEquals(List.of("beta-two"), fish("robojail destroy -f alpha-one b"));
    assertEquals(List.of(), fish("robojail run alpha-one "));
    assertEquals(List.of("destroy", "doctor"), fish("robojail d"));
    assertEquals(List.of("--force"), fish("robojail destroy --f"));
    assertEquals(List.of("bash", "fish", "zsh"), fish("robojail completion "));
    assertEquals(List.of(repo + "/"), fish("robojail create --repo " + repo));
    assertEquals(List.of(), fish("robojail status --interval "));
    world.config("bogus = [\n");
    assertEquals(List.of(), fish("robojail run "));
  }

  // --- the shells -----------------------------------------------------------------------------

  private String pathWithRobojail() {
    return bin + File.pathSeparator + "/usr/bin:/bin";
  }

  private Result shell(String path, List<String> argv) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(argv).directory(tmp.toFile());
    pb.environment().putAll(world.env());
    pb.environment().put("PATH", path);
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(argv + " did not end");
    }
    return new Result(
        p.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }
}
