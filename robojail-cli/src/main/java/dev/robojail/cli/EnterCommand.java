package dev.robojail.cli;

import dev.robojail.sandbox.TerminalRelay;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

@Command(
    name = "enter",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the jail's entrypoint, or the configured shell, on this terminal: enter JAIL [--] [ARG...]",
      "ARGS go to the entrypoint after the arguments it was created with.",
      "The shell's prompt names the jail: PS1 is \"(robojail JAIL) $ \" unless the shell's own"
          + " rc file sets one, and the hostname is the jail's name."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  robojail enter fix-tests",
      "  robojail enter fix-tests -- --continue",
      "",
      "Without a terminal (in a script, a pipe, CI) use run: robojail run fix-tests make test"
    })
final class EnterCommand extends JailCommand {
  @Parameters(index = "0", paramLabel = "JAIL", description = "The jail.")
  String name;

  @Parameters(
      index = "1..*",
      arity = "0..*",
      paramLabel = "ARG",
      description = "Arguments for the entrypoint.")
  List<String> args = new ArrayList<>();

  @Override
  int doCall() {
    requireTerminal();
    List<String> extra =
        !args.isEmpty() && args.getFirst().equals("--") ? args.subList(1, args.size()) : args;
    List<String> command = extra.isEmpty() ? List.of() : jails().entrypointWith(name, extra);
    return JailTerminal.run(jails(), name, command, true);
  }

  private void requireTerminal() {
    if (!TerminalRelay.inputIsTerminal()) {
      throw new ParameterException(
          spec.commandLine(),
          "enter needs a terminal, and standard input is not one; to run a command without one,"
              + " use: robojail run "
              + name
              + " -- COMMAND");
    }
  }
}
