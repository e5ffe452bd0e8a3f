package dev.robojail.cli;

import dev.robojail.jail.FileChange;
import dev.robojail.jail.JailStatus;
import dev.robojail.jail.ReviewFirst;
import dev.robojail.jail.TerminalSafe;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description =
        "Imports a jail's commits into its branch in your repository, and shows what the jail"
            + " changed against its base commit, and for each change whether the jail committed"
            + " it.",
    footerHeading = "%nExamples:%n",
    footer = {"  robojail status fix-tests", "  robojail status fix-tests --diff | less"})
final class StatusCommand extends JailCommand {
  @Parameters(index = "0", paramLabel = "JAIL", description = "The jail.")
  String name;

  @Option(
      names = "--json",
      description = "Prints JSON: schemaVersion, the jail's fields as in list --json, the changes.")
  boolean json;

  @Option(names = "--diff", description = "Also prints the changes as a patch.")
  boolean diff;

  @Option(
      names = "--watch",
      description =
          "Shows the status live, redrawn when it changes, until Ctrl-C; one block per change"
              + " when the output is no terminal.")
  boolean watch;

  @Option(
      names = "--interval",
      paramLabel = "SECONDS",
      defaultValue = "2",
      description = "How often --watch looks again (default: ${DEFAULT-VALUE}).")
  double interval;

  @Override
  int doCall() {
    if (watch) {
      if (json || diff) {
        throw new ParameterException(spec.commandLine(), "--watch shows no --json or --diff");
      }
      if (!(interval >= 0.2 && interval <= 3600)) {
        throw new ParameterException(
            spec.commandLine(), "--interval must be between 0.2 and 3600 seconds");
      }
      return StatusWatch.run(this::lines, interval, out());
    }
    JailStatus s = jails().status(name);
    if (json) {
      Map<String, Object> row = JailJson.jail(JailJson.document(), jails().get(name));
      row.put("added", s.added());
      row.put("modified", s.modified());
      row.put("deleted", s.deleted());
      row.put("renamed", s.renamed());
      row.put("submodules", s.submodules());
      row.put("insertions", s.insertions());
      row.put("deletions", s.deletions());
      row.put("commitsSinceBase", s.commitsSinceBase());
      row.put("uncommittedChanges", s.uncommittedChanges());
      List<Map<String, Object>> changes = new ArrayList<>();
      for (FileChange c : s.changes()) {
        Map<String, Object> change = new LinkedHashMap<>();
        change.put("kind", c.kind().name().toLowerCase(Locale.ROOT));
        change.put("path", c.path());
        if (c.oldPath() != null) {
          change.put("oldPath", c.oldPath());
        }
        if (c.kind() == FileChange.Kind.SUBMODULE) {
          change.put("submodule", c.submoduleChange());
          change.put("oldCommit", c.oldCommit());
          change.put("newCommit", c.newCommit());
        }
        change.put("committed", c.committed());
        if (c.uncommitted() != FileChange.Uncommitted.NONE) {
          change.put("uncommitted", c.uncommitted().name().toLowerCase(Locale.ROOT));
        }
        changes.add(change);
      }
      row.put("changes", changes);
      List<Map<String, Object>> review = new ArrayList<>();
      for (ReviewFirst.Flagged f : s.reviewFirst()) {
        review.add(Map.of("path", f.path(), "reason", f.reason()));
      }
      row.put("reviewFirst", review);
      row.put("refusedConnections", jails().refusedConnections(name));
      if (diff) {
        row.put("diff", jails().diff(name));
      }
      out().println(JailJson.write(row));
      return Errors.OK;
    }
    lines(s).forEach(out()::println);
    if (diff) {
      out().print(jails().diff(name));
    }
    return Errors.OK;
  }

  private List<String> lines() {
    return lines(jails().status(name));
  }

  /** The status as printed: each line made safe for the terminal. */
  private List<String> lines(JailStatus s) {
    List<String> lines = new ArrayList<>();
    lines.add("jail " + s.name() + " on " + TerminalSafe.sanitizeLine(s.branch()));
    lines.add(
        "%d added, %d modified, %d deleted, %d renamed%s; +%d -%d lines"
            .formatted(
                s.added(),
                s.modified(),
                s.deleted(),
                s.renamed(),
                s.submodules() == 0 ? "" : ", " + s.submodules() + " submodules",
                s.insertions(),
                s.deletions()));
    lines.add(
        "%d commits since base %s; %s"
            .formatted(
                s.commitsSinceBase(),
                s.baseCommit().substring(0, Math.min(12, s.baseCommit().length())),
                s.uncommittedChanges() ? "uncommitted changes" : "no uncommitted changes"));
    Map<String, Integer> refused = jails().refusedConnections(name);
    if (!refused.isEmpty()) {
      lines.add("refused by the network allowlist:");
      refused.forEach(
          (where, count) ->
              lines.add("  " + TerminalSafe.sanitizeLine(where) + "  (" + count + "x)"));
    }
    List<ReviewFirst.Flagged> review = s.reviewFirst();
    if (!review.isEmpty()) {
      lines.add("REVIEW FIRST: these changes will run on your machine, outside the jail:");
      for (ReviewFirst.Flagged f : review) {
        lines.add("  ! " + TerminalSafe.sanitizeLine(f.path()) + "  (" + f.reason() + ")");
      }
    }
    for (FileChange c : s.changes()) {
      lines.add(
          "  " + symbol(c.kind()) + " " + TerminalSafe.sanitizeLine(c.path()) + "  " + state(c));
    }
    return lines;
  }

  // Where the change is: in the jail's commits (what a merge takes), or only in its worktree.
  private static String state(FileChange c) {
    if (c.kind() == FileChange.Kind.SUBMODULE) {
      return "(submodule " + c.submoduleChange() + ", committed)";
    }
    String rest = c.uncommitted().name().toLowerCase(Locale.ROOT);
    if (!c.committed()) {
      return "(" + rest + ")";
    }
    return c.uncommitted() == FileChange.Uncommitted.NONE
        ? "(committed)"
        : "(committed, then " + rest + ")";
  }

  private static String symbol(FileChange.Kind kind) {
    return switch (kind) {
      case ADDED -> "A";
      case MODIFIED -> "M";
      case DELETED -> "D";
      case RENAMED -> "R";
      case TYPE_CHANGED -> "T";
      case NESTED_REPOSITORY -> "N";
      case SUBMODULE -> "S";
    };
  }
}
