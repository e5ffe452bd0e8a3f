package dev.robojail.cli;

import dev.robojail.jail.JailState;
import dev.robojail.jail.TerminalSafe;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    description = "Lists the jails.",
    footerHeading = "%nExamples:%n",
    footer = {
      "  robojail list",
      "  robojail list -q | xargs robojail destroy",
      "  robojail list --json | jq -r '.jails[] | select(.running) | .name'"
    })
final class ListCommand extends JailCommand {
  @Option(
      names = "--json",
      description =
          "Prints JSON: {\"schemaVersion\": 1, \"jails\": [...]}, fields as in status --json.")
  boolean json;

  @Option(
      names = {"-q", "--quiet"},
      description = "Prints only the jails' names, one a line.")
  boolean quiet;

  @Override
  int doCall() {
    List<JailState> jails = jails().list();
    if (json) {
      List<Map<String, Object>> rows = new ArrayList<>();
      for (JailState j : jails) {
        rows.add(JailJson.jail(new LinkedHashMap<>(), j));
      }
      Map<String, Object> doc = JailJson.document();
      doc.put("jails", rows);
      out().println(JailJson.write(doc));
      return Errors.OK;
    }
    if (quiet) {
      for (JailState j : jails) {
        out().println(j.name());
      }
      return Errors.OK;
    }
    if (jails.isEmpty()) {
      out().println("no jails");
      return Errors.OK;
    }
    out().printf("%-20s %-11s %-8s %-30s %s%n", "NAME", "STATE", "SESSIONS", "BRANCH", "REPO");
    for (JailState j : jails) {
      // The count as a string: %d would make the Formatter load the locale's number symbols,
      // about 4 ms of CPU on the first row.
      out()
          .printf(
              "%-20s %-11s %-8s %-30s %s%n",
              j.name(),
              state(j),
              String.valueOf(j.liveSessions().size()),
              TerminalSafe.sanitizeLine(j.branch()),
              TerminalSafe.sanitizeLine(j.repo().toString()));
    }
    for (JailState j : jails) {
      if (j.isInterrupted()) {
        String what =
            switch (j.phase()) {
              case CREATING -> " was not completely created; the next command rolls it back";
              case DESTROYING -> "'s destroy stopped before deleting anything; it is kept";
              case REMOVING -> " was not completely destroyed; the next command finishes it";
              case READY -> "";
            };
        err().println("robojail: jail " + j.name() + what);
      }
    }
    return Errors.OK;
  }

  // What a user needs to know: whether it can be used, and whether a crash left it half-way.
  static String state(JailState j) {
    if (j.isInterrupted()) {
      return "interrupted";
    }
    return switch (j.phase()) {
      case CREATING -> "creating";
      case DESTROYING, REMOVING -> "destroying";
      case READY -> j.isAlive() ? "running" : "stopped";
    };
  }
}
