package dev.robojail.cli;

import dev.robojail.jail.JailState;
import dev.robojail.jail.TerminalSafe;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.json.JsonMapper;

@Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the jails.")
final class ListCommand extends JailCommand {
  @Option(names = "--json", description = "Prints JSON.")
  boolean json;

  @Override
  int doCall() {
    List<JailState> jails = jails().list();
    if (json) {
      List<Map<String, Object>> rows = new ArrayList<>();
      for (JailState j : jails) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("name", j.name().value());
        row.put("running", j.isAlive());
        row.put("state", state(j));
        row.put("sessions", j.liveSessions().size());
        row.put("repo", j.repo().toString());
        row.put("branch", j.branch());
        row.put("baseCommit", j.baseCommit());
        row.put("worktree", j.worktree().toString());
        row.put("created", j.created().toString());
        row.put("entrypoint", j.entrypoint());
        rows.add(row);
      }
      out().println(JsonMapper.builder().build().writeValueAsString(rows));
      return Errors.OK;
    }
    if (jails.isEmpty()) {
      out().println("no jails");
      return Errors.OK;
    }
    out().printf("%-20s %-11s %-8s %-30s %s%n", "NAME", "STATE", "SESSIONS", "BRANCH", "REPO");
    for (JailState j : jails) {
      out()
          .printf(
              "%-20s %-11s %-8d %-30s %s%n",
              j.name(),
              state(j),
              j.liveSessions().size(),
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
