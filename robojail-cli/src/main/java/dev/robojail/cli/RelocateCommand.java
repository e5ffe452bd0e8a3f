package dev.robojail.cli;

import dev.robojail.jail.JailState;
import dev.robojail.jail.TerminalSafe;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "relocate",
    mixinStandardHelpOptions = true,
    description =
        "Points a jail at its repository's new path, after the repository was moved (or at any"
            + " clone that has the jail's base commit).",
    footerHeading = "%nExamples:%n",
    footer = {"  robojail relocate fix-tests --repo ~/src/app-moved"})
final class RelocateCommand extends JailCommand {
  @Parameters(index = "0", paramLabel = "JAIL", description = "The jail.")
  String name;

  @Option(
      names = {"-r", "--repo"},
      paramLabel = "DIR",
      required = true,
      description = "The repository's new path.")
  Path repo;

  @Override
  int doCall() {
    JailState jail = jails().relocate(name, repo);
    out().println(TerminalSafe.sanitizeLine("jail " + name + " now belongs to " + jail.repo()));
    return Errors.OK;
  }
}
