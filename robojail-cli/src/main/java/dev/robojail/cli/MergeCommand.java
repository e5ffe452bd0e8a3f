package dev.robojail.cli;

import dev.robojail.jail.MergePlan;
import dev.robojail.jail.ReviewFirst;
import dev.robojail.jail.TerminalSafe;
import java.io.Console;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

@Command(
    name = "merge",
    mixinStandardHelpOptions = true,
    description =
        "Imports a jail's commits and merges them into the current branch of your repository,"
            + " after showing them.",
    footerHeading = "%nExamples:%n",
    footer = {"  robojail merge fix-tests", "  robojail merge -y fix-tests"})
final class MergeCommand extends JailCommand {
  @Parameters(index = "0", paramLabel = "JAIL", description = "The jail.")
  String name;

  @Option(
      names = {"-y", "--yes"},
      description = "Merges without asking.")
  boolean yes;

  @Override
  int doCall() {
    MergePlan plan = jails().planMerge(name);
    String into = TerminalSafe.sanitizeLine(plan.into());
    String branch = TerminalSafe.sanitizeLine(plan.branch());
    if (plan.isEmpty()) {
      out().println("nothing to merge: " + into + " already has every commit of " + branch);
      return Errors.OK;
    }
    int n = plan.commits().size();
    out()
        .println(
            "merging "
                + n
                + (n == 1 ? " commit" : " commits")
                + " of "
                + branch
                + " into "
                + into
                + " of "
                + TerminalSafe.sanitizeLine(plan.repo().toString())
                + ":");
    for (String c : plan.commits()) {
      out().println("  " + c);
    }
    out().print(plan.stat());
    if (!plan.reviewFirst().isEmpty()) {
      out().println("REVIEW FIRST: these changes will run on your machine, outside the jail:");
      for (ReviewFirst.Flagged f : plan.reviewFirst()) {
        out().println("  ! " + TerminalSafe.sanitizeLine(f.path()) + "  (" + f.reason() + ")");
      }
    }
    for (String w : plan.warnings()) {
      out().println("warning: " + w);
    }
    out().flush();
    if (!yes) {
      Console console = System.console();
      if (console == null || !console.isTerminal()) {
        throw new ParameterException(
            spec.commandLine(), "not on a terminal, cannot ask; add --yes to merge");
      }
      String answer = console.readLine("merge into %s? [y/N] ", into);
      if (answer == null
          || !(answer.strip().equalsIgnoreCase("y") || answer.strip().equalsIgnoreCase("yes"))) {
        out().println("not merged");
        return Errors.OK;
      }
    }
    String head = jails().merge(plan);
    out()
        .println(
            "merged into " + into + ", now at " + head.substring(0, Math.min(12, head.length())));
    return Errors.OK;
  }
}
