package dev.robojail.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = "Runs a command in a jail and exits with its status: run NAME -- CMD ARGS...")
final class RunCommand extends JailCommand {
  @Parameters(index = "0", description = "The jail.")
  String name;

  @Parameters(index = "1..*", arity = "1..*", description = "The command and its arguments.")
  List<String> command = new ArrayList<>();

  @Override
  int doCall() {
    warnAboutHostNetwork(name);
    return JailTerminal.run(jails(), name, command, false);
  }
}
