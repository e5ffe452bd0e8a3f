package dev.robojail.cli;

import dev.robojail.sandbox.TerminalRelay;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

@Command(
    name = "enter",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the jail's entrypoint, or the configured shell, on this terminal.",
      "The shell's prompt names the jail: PS1 is \"(robojail JAIL) $ \" unless the shell's own"
          + " rc file sets one, and the hostname is the jail's name."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  robojail enter fix-tests",
      "",
      "Without a terminal (in a script, a pipe, CI) use run: robojail run fix-tests make test"
    })
final class EnterCommand extends JailCommand {
  @Parameters(index = "0", paramLabel = "JAIL", description = "The jail.")
  String name;

  @Override
  int doCall() {
    requireTerminal();
    return JailTerminal.run(jails(), name, List.of(), true);
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
