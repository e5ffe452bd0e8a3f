package dev.robojail.cli;

import dev.robojail.jail.CreateOptions;
import dev.robojail.jail.JailState;
import dev.robojail.jail.TerminalSafe;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "create",
    mixinStandardHelpOptions = true,
    description = "Creates a jail: a worktree of the repository on a new branch robojail/NAME-ID.")
final class CreateCommand extends JailCommand {
  @Option(names = "--name", required = true, description = "The jail's name.")
  String name;

  @Option(names = "--repo", defaultValue = ".", description = "The git repository (default: .).")
  Path repo;

  @Option(names = "--branch", description = "The branch or commit to start from (default: HEAD).")
  String branch;

  @Option(
      names = "--entrypoint",
      description = "The command `enter` runs, with arguments, e.g. \"claude --verbose\".")
  String entrypoint;

  @Option(
      names = "--agent",
      paramLabel = "NAME",
      description =
          "The agent profile: claude, codex, or an [agent.NAME] of config.toml (default: the"
              + " profile whose command is the entrypoint's, if any).")
  String agent;

  @Override
  int doCall() {
    List<String> ep =
        entrypoint == null || entrypoint.isBlank()
            ? List.of()
            : Arrays.asList(entrypoint.strip().split("\\s+"));
    JailState jail =
        jails()
            .create(
                CreateOptions.builder(name, repo)
                    .branch(branch)
                    .entrypoint(ep)
                    .agent(agent)
                    .build());
    warnAboutHostNetwork();
    out()
        .println(
            TerminalSafe.sanitizeLine(
                "created jail "
                    + jail.name()
                    + " on branch "
                    + jail.branch()
                    + " at "
                    + jail.worktree()));
    // What the profile shows the jail of the host, and what it keeps, before the first run.
    jails()
        .agent(jail)
        .ifPresent(
            a -> {
              out().println(TerminalSafe.sanitizeLine("agent profile " + a.name() + ":"));
              out()
                  .println(
                      TerminalSafe.sanitizeLine(
                          "  home "
                              + jails().home(jail)
                              + " (the jail's own, kept across runs, deleted by destroy)"));
              for (String line : a.exposes()) {
                out().println(TerminalSafe.sanitizeLine("  " + line));
              }
            });
    return Errors.OK;
  }
}
