package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.robojail.jail.ConfigException;
import dev.robojail.jail.InvalidInputException;
import dev.robojail.jail.JailConflictException;
import dev.robojail.jail.JailException;
import dev.robojail.jail.StateException;
import dev.robojail.sandbox.SandboxException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * The one mapping of failures to exit codes: each failure's code for an ordinary command, and for
 * the commands that run a command in a jail, where robojail's own are 125, 126 and 127.
 */
class ExitCodesTest {
  private static final CommandLine ROOT = Robojail.commandLine(() -> null);

  static Stream<Arguments> failures() {
    return Stream.of(
        Arguments.of(new InvalidInputException("bad"), 2, 125),
        Arguments.of(new ConfigException(Path.of("/c.toml"), 3, 1, "bad"), 2, 125),
        Arguments.of(new JailConflictException("exists"), 3, 125),
        Arguments.of(new StateException("corrupt"), 3, 125),
        Arguments.of(new JailException("git failed"), 1, 125),
        Arguments.of(new SandboxException.InvalidSpec("bad spec"), 2, 125),
        Arguments.of(new SandboxException.NamespacesUnavailable("no", null), 4, 125),
        Arguments.of(new SandboxException.SetupFailed("mount", 3, "mount()", 1, null), 4, 125),
        Arguments.of(
            new SandboxException.CommandNotFound("nf", 9, "faccessat2()", 9, null), 4, 127),
        Arguments.of(new SandboxException.CannotExecute("ne", 9, "faccessat2()", 13, null), 4, 126),
        Arguments.of(new IllegalStateException("a bug"), 4, 125),
        Arguments.of(new CommandLine.ParameterException(ROOT, "usage"), 2, 125));
  }

  @ParameterizedTest
  @MethodSource("failures")
  void eachFailureHasOneCodeAndRunsOwnAreAbove124(Throwable t, int ordinary, int running) {
    for (String name : List.of("create", "list", "status", "merge", "destroy", "doctor")) {
      assertEquals(ordinary, Errors.exitCode(t, ROOT.getSubcommands().get(name)), name);
    }
    for (String name : List.of("run", "enter")) {
      assertEquals(running, Errors.exitCode(t, ROOT.getSubcommands().get(name)), name);
    }
  }

  @ParameterizedTest
  @CsvSource({
    "git version 2.39.5, true",
    "git version 2.32.0, true",
    "git version 3.0.1, true",
    "git version 2.31.8, false",
    "git version 2.30.2, false",
    "git version 1.9.5, false",
    "something else, false"
  })
  void doctorFailsAGitTooOldForRobojailsHardening(String version, boolean ok) {
    assertEquals(ok, DoctorCommand.gitIsRecentEnough(version), version);
  }
}
