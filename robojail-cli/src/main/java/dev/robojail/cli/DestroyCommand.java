package dev.robojail.cli;

import dev.robojail.jail.DestroyResult;
import dev.robojail.jail.TerminalSafe;
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

  @Option(
      names = "--force",
      description =
          "Discards uncommitted changes and ends a running command. Never discards commits that"
              + " exist only in the jail.")
  boolean force;

  @Override
  int doCall() {
    DestroyResult result = jails().destroyJail(name, force);
    out().println("destroyed jail " + name);
    for (String what : result.discarded()) {
      out().println(TerminalSafe.sanitizeLine("discarded " + what));
    }
    if (result.branchKept()) {
      int n = result.keptCommits();
      out()
          .println(
              TerminalSafe.sanitizeLine(
                  "kept branch "
                      + result.branch()
                      + " with "
                      + n
                      + (n == 1 ? " commit" : " commits")
                      + "; delete it with: git -C "
                      + result.repo()
                      + " branch -D "
                      + result.branch()));
    }
    return Errors.OK;
  }
}
