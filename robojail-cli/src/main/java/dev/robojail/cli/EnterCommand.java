package dev.robojail.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
    name = "enter",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the jail's entrypoint, or the configured shell, on this terminal: enter NAME [-- ARGS...]",
      "ARGS go to the entrypoint after the arguments it was created with."
    })
final class EnterCommand extends JailCommand {
  @Parameters(index = "0", description = "The jail.")
  String name;

  @Parameters(index = "1..*", arity = "0..*", description = "Arguments for the entrypoint.")
  List<String> args = new ArrayList<>();

  @Override
  int doCall() {
    List<String> command = args.isEmpty() ? List.of() : jails().entrypointWith(name, args);
    return JailTerminal.run(jails(), name, command, true);
  }
}
