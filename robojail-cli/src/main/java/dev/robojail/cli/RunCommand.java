package dev.robojail.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a command in a jail and exits with its status.",
      "Options end at the jail's name: everything after it is the command, so `--` is optional."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  robojail run fix-tests make -j4",
      "  robojail run fix-tests -- git log --oneline",
      "  robojail run fix-tests sh -c 'npm test > test.log'"
    })
final class RunCommand extends JailCommand {
  @Parameters(index = "0", paramLabel = "JAIL", description = "The jail.")
  String name;

  @Parameters(
      index = "1..*",
      arity = "1..*",
      paramLabel = "COMMAND",
      description = "The command and its arguments.")
  List<String> command = new ArrayList<>();

  @Override
  int doCall() {
    // A usage error first: it is the user's typo, whatever the jail.
    // The host-network warning comes from the run itself (Robojail#jails), which reads the jail
    // once for it and for the sandbox.
    List<String> argv = command(command);
    return JailTerminal.run(jails(), name, argv, false);
  }
}
