package dev.robojail.cli;

import dev.robojail.jail.DestroyResult;
import dev.robojail.jail.TerminalSafe;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "destroy",
    mixinStandardHelpOptions = true,
    description = {
      "Imports a jail's commits, then removes its worktree and git directory, and its branch"
          + " unless that holds commits.",
      "With several jails, each is destroyed in turn; one that cannot be is reported and the"
          + " others are still destroyed, and the exit code is the first failure's."
    },
    footerHeading = "%nExamples:%n",
    footer = {"  robojail destroy fix-tests", "  robojail destroy -f a b c"})
final class DestroyCommand extends JailCommand {
  @Parameters(index = "0..*", arity = "1..*", paramLabel = "JAIL", description = "The jails.")
  List<String> names = new ArrayList<>();

  @Option(
      names = {"-f", "--force"},
      description =
          "Discards uncommitted changes and ends a running command. Never discards commits that"
              + " exist only in the jail.")
  boolean force;

  @Override
  int doCall() {
    int status = Errors.OK;
    for (String name : names) {
      try {
        destroy(name);
      } catch (RuntimeException e) {
        if (names.size() == 1) {
          throw e;
        }
        // One line per jail that failed, as a single failure would print it; the rest go on.
        int code = Errors.handleExecutionException(e, spec.commandLine(), null);
        status = status == Errors.OK ? code : status;
      }
    }
    return status;
  }

  private void destroy(String name) {
    DestroyResult result = jails().destroyJail(name, force);
    out().println(TerminalSafe.sanitizeLine("destroyed jail " + name));
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
    out().flush();
  }
}
