package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.ffm.Programs;
import dev.robojail.testkit.TestWorld;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --entrypoint} quoted as in a shell, {@code enter J -- ARGS}, and toolchains shown. */
class CliEntrypointTest {
  @TempDir Path tmp;
  TestWorld world;
  Path home;
  Path repo;
  String lastRaw;

  @BeforeEach
  void setUp() throws IOException {
    world = TestWorld.in(tmp);
    home = world.home();
    repo = world.repo("repo").dir;
    // Prints each argument it gets on a line of its own, in brackets.
    Path agent = Files.createDirectories(home.resolve(".local/bin")).resolve("agent");
    Files.writeString(agent, "#!/bin/sh\nfor a in \"$@\"; do echo \"[$a]\"; done\n");
    Files.setPosixFilePermissions(agent, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  @Test
  void anUnclosedQuoteIsInvalidInputAndCreatesNothing() {
    Result r =
        InProcess.run(
            world, "create", "--name", "q", "--repo", repo.toString(), "--entrypoint", "agent 'x");
    assertEquals(2, r.code(), r.err());
    CliTest.assertOneLineError(r);
    assertTrue(r.err().contains("is not closed"), r.err());
    assertTrue(world.jails().list().isEmpty());
  }

  @Test
  @NeedsUserNamespaces
  void theEntrypointKeepsItsQuotedArguments() throws Exception {
    MainProcess robojail = new MainProcess(world);
    Result created =
        robojail.run(
            "create",
            "--name",
            "e",
            "--repo",
            repo.toString(),
            "--entrypoint",
            "~/.local/bin/agent --prompt 'fix the \"build\"' --config=~/agent.toml \\~ ~");
    assertEquals(0, created.code(), created.err());
    // Every argument's ~ is the home, quoted or not: the entrypoint is stored as a list, and a
    // list from the library has no quotes to tell.
    String defaults =
        "[--prompt]\n[fix the \"build\"]\n[--config="
            + home
            + "/agent.toml]\n["
            + home
            + "]\n["
            + home
            + "]\n";
    Result plain = onATerminal(robojail, Map.of(), "enter", "e");
    assertEquals(0, plain.code(), plain.err());
    assertEquals(defaults, plain.out(), rawShown());
  }

  @Test
  @NeedsUserNamespaces
  void enterPassesArgumentsAfterTheEntrypointsOwn() throws Exception {
    MainProcess robojail = new MainProcess(world);
    Map<String, String> env = Map.of("PATH", home + "/.local/bin:/usr/bin:/bin");
    Result created =
        robojail.run(
            env, "create", "--name", "a", "--repo", repo.toString(), "--entrypoint", "agent -v");
    assertEquals(0, created.code(), created.err());
    assertTrue(
        created.out().contains("toolchain local: ~/.local/bin (on PATH: ~/.local/bin)"),
        created.out());
    Result entered = onATerminal(robojail, env, "enter", "a", "--", "--continue", "two words");
    assertEquals(0, entered.code(), entered.err());
    assertEquals("[-v]\n[--continue]\n[two words]\n", entered.out(), rawShown());
  }

  @Test
  @NeedsUserNamespaces
  void doctorShowsTheToolchainsAndWarnsOfTheHomeOnPath() throws Exception {
    Result r =
        new MainProcess(world)
            .run(Map.of("PATH", home + ":" + home + "/.local/bin:/usr/bin:/bin"), "doctor");
    assertTrue(
        r.out().lines().anyMatch(l -> l.matches("toolchains +ok +local: ~/.local/bin .*")),
        r.out());
    assertTrue(
        r.out()
            .lines()
            .anyMatch(l -> l.matches("toolchains +warn +path: the PATH entry .* home directory.*")),
        r.out());
  }

  // A line seen once as nobody under load went missing: the terminal's bytes, escaped, say why.
  private String rawShown() {
    return "the terminal showed: "
        + lastRaw.replace("\033", "<ESC>").replace("\r", "<CR>").replace("\0", "<NUL>");
  }

  // enter needs a terminal: script(1) gives it one; what the jail prints comes back through it,
  // with the terminal's line endings.
  private Result onATerminal(MainProcess robojail, Map<String, String> env, String... args)
      throws Exception {
    Programs.require("/usr/bin/script", "script(1), Debian's bsdutils");
    String command =
        Stream.concat(robojail.javaCommand(env).stream(), Stream.of(args))
            .map(a -> "'" + a.replace("'", "'\\''") + "'")
            .collect(Collectors.joining(" "));
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    Process p =
        robojail.start(
            java.util.List.of("/usr/bin/script", "-qefc", command, "/dev/null"), env, out, err);
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("robojail " + String.join(" ", args) + " did not end");
    }
    // Only the agent's lines: a terminal may add bytes of its own around them (a NUL, resets).
    // Under load a NUL also reaches the terminal as input before the relay makes it raw, and is
    // echoed as ^@ (seen on main as well; script(1) turning its input's end into the terminal's
    // EOF character is the likely source, not checked).
    lastRaw = Files.readString(out);
    String lines =
        Files.readString(out)
            .lines()
            .map(l -> l.replace("\r", "").replace("\0", "").replace("^@", ""))
            .filter(l -> l.startsWith("[") && l.endsWith("]"))
            .collect(Collectors.joining("\n", "", "\n"));
    return new Result(p.exitValue(), lines, Files.readString(err));
  }
}
