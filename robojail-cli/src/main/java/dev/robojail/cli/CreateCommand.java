package dev.robojail.cli;

import dev.robojail.jail.Config;
import dev.robojail.jail.InvalidInputException;
import dev.robojail.jail.JailNetwork;
import dev.robojail.jail.JailState;
import dev.robojail.jail.TerminalSafe;
import java.nio.file.Path;
import java.util.ArrayList;
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
      names = "--network",
      paramLabel = "MODE",
      description =
          "This jail's network, at every run: proxy (out through robojail's allowlist), none"
              + " (loopback only) or host (the host's network; warned). Default: the config's.")
  String network;

  @Option(
      names = "--network-allow",
      paramLabel = "HOST",
      description =
          "Also allow this destination through the proxy (network_allow syntax); repeatable.")
  List<String> networkAllow = new ArrayList<>();

  @Option(
      names = "--host-port",
      paramLabel = "PORT",
      description =
          "Make the host's 127.0.0.1:PORT reachable inside at host.robojail.internal:PORT;"
              + " repeatable.")
  List<Integer> hostPorts = new ArrayList<>();

  @Override
  int doCall() {
    List<String> ep =
        entrypoint == null || entrypoint.isBlank()
            ? null
            : Arrays.asList(entrypoint.strip().split("\\s+"));
    JailState jail = jails().create(name, repo, branch, ep, jailNetwork());
    warnAboutHostNetwork(name);
    out()
        .println(
            TerminalSafe.sanitizeLine(
                "created jail "
                    + jail.name()
                    + " on branch "
                    + jail.branch()
                    + " at "
                    + jail.worktree()));
    return Errors.OK;
  }

  private JailNetwork jailNetwork() {
    Config.NetworkMode mode = null;
    if (network != null) {
      mode =
          Arrays.stream(Config.NetworkMode.values())
              .filter(m -> m.key().equals(network))
              .findFirst()
              .orElseThrow(
                  () ->
                      new InvalidInputException(
                          "invalid --network "
                              + TerminalSafe.sanitizeLine(network)
                              + ": must be proxy, host or none"));
    }
    return new JailNetwork(mode, networkAllow, hostPorts);
  }
}
