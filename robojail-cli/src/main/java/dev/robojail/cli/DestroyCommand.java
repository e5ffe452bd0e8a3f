package dev.robojail.cli;

import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "destroy",
    mixinStandardHelpOptions = true,
    description =
        "Imports a jail's commits, then removes its worktree and git directory, and its branch"
            + " unless that holds commits.")
final class DestroyCommand extends JailCommand {
  @Parameters(index = "0", description = "The jail.")
  String name;

  @Option(names = "--force", description = "Discards uncommitted changes.")
  boolean force;

  @Override
  int doCall() {
    Optional<String> note = jails().destroy(name, force);
    out().println("destroyed jail " + name);
    note.ifPresent(out()::println);
    return Errors.OK;
  }
}
