package dev.robojail.cli;

import dev.robojail.jail.FileChange;
import dev.robojail.jail.JailStatus;
import dev.robojail.jail.ReviewFirst;
import dev.robojail.jail.TerminalSafe;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description =
        "Imports a jail's commits into its branch in your repository, and shows what the jail"
            + " changed against its base commit.",
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

  @Override
  int doCall() {
    JailStatus s = jails().status(name);
    if (json) {
      Map<String, Object> row = JailJson.jail(JailJson.document(), jails().get(name));
      row.put("added", s.added());
      row.put("modified", s.modified());
      row.put("deleted", s.deleted());
      row.put("renamed", s.renamed());
      row.put("insertions", s.insertions());
      row.put("deletions", s.deletions());
      row.put("commitsSinceBase", s.commitsSinceBase());
      row.put("uncommittedChanges", s.uncommittedChanges());
      List<Map<String, Object>> changes = new ArrayList<>();
      for (FileChange c : s.changes()) {
        Map<String, Object> change = new LinkedHashMap<>();
        change.put("kind", c.kind().name().toLowerCase(java.util.Locale.ROOT));
        change.put("path", c.path());
        if (c.oldPath() != null) {
          change.put("oldPath", c.oldPath());
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
    out().println("jail " + s.name() + " on " + TerminalSafe.sanitizeLine(s.branch()));
    out()
        .printf(
            "%d added, %d modified, %d deleted, %d renamed; +%d -%d lines%n",
            s.added(), s.modified(), s.deleted(), s.renamed(), s.insertions(), s.deletions());
    out()
        .printf(
            "%d commits since base %s; %s%n",
            s.commitsSinceBase(),
            s.baseCommit().substring(0, Math.min(12, s.baseCommit().length())),
            s.uncommittedChanges() ? "uncommitted changes" : "no uncommitted changes");
    Map<String, Integer> refused = jails().refusedConnections(name);
    if (!refused.isEmpty()) {
      out().println("refused by the network allowlist:");
      refused.forEach(
          (where, count) ->
              out().println("  " + TerminalSafe.sanitizeLine(where) + "  (" + count + "x)"));
    }
    List<ReviewFirst.Flagged> review = s.reviewFirst();
    if (!review.isEmpty()) {
      out().println("REVIEW FIRST: these changes will run on your machine, outside the jail:");
      for (ReviewFirst.Flagged f : review) {
        out().println("  ! " + TerminalSafe.sanitizeLine(f.path()) + "  (" + f.reason() + ")");
      }
    }
    for (FileChange c : s.changes()) {
      out().println("  " + symbol(c.kind()) + " " + TerminalSafe.sanitizeLine(c.path()));
    }
    if (diff) {
      out().print(jails().diff(name));
    }
    return Errors.OK;
  }

  private static String symbol(FileChange.Kind kind) {
    return switch (kind) {
      case ADDED -> "A";
      case MODIFIED -> "M";
      case DELETED -> "D";
      case RENAMED -> "R";
      case TYPE_CHANGED -> "T";
      case NESTED_REPOSITORY -> "N";
    };
  }
}
