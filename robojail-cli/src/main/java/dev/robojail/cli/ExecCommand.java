package dev.robojail.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
    name = "exec",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a command in a running jail, beside the session that started it: exec JAIL [--]"
          + " COMMAND [ARG...]",
      "It sees the jail's processes, files and network, has the same protections, and ends when"
          + " the jail ends. Exits with the command's status."
    },
    footerHeading = "%nExamples:%n",
    footer = {"  robojail exec fix-tests bash", "  robojail exec fix-tests -- ps -ef"})
final class ExecCommand extends JailCommand {
  @Parameters(index = "0", paramLabel = "JAIL", description = "The running jail.")
  String name;

  @Parameters(
      index = "1..*",
      arity = "1..*",
      paramLabel = "COMMAND",
      description = "The command and its arguments.")
  List<String> command = new ArrayList<>();

  @Override
  int doCall() {
    return JailTerminal.exec(jails(), name, command(command));
  }
}
