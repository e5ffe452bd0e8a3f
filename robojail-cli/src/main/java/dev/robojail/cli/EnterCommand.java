package dev.robojail.cli;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
    name = "enter",
    mixinStandardHelpOptions = true,
    description = "Runs the jail's entrypoint, or the configured shell, on this terminal.")
final class EnterCommand extends JailCommand {
  @Parameters(index = "0", description = "The jail.")
  String name;

  @Override
  int doCall() {
    return JailTerminal.run(jails(), name, List.of(), true);
  }
}
