package dev.robojail.cli;

import dev.robojail.jail.Config;
import dev.robojail.jail.CreateOptions;
import dev.robojail.jail.InvalidInputException;
import dev.robojail.jail.JailNetwork;
import dev.robojail.jail.JailState;
import dev.robojail.jail.ShellWords;
import dev.robojail.jail.TerminalSafe;
import dev.robojail.jail.ToolchainReport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "create",
    mixinStandardHelpOptions = true,
    description = "Creates a jail: a worktree of the repository on a new branch robojail/NAME-ID.",
    footerHeading = "%nExamples:%n",
    footer = {
      "  robojail create --name fix-tests",
      "  robojail create -n review --repo ~/src/app --branch v2.1",
      "  robojail create -n agent --entrypoint \"claude --verbose\""
    })
final class CreateCommand extends JailCommand {
  @Option(
      names = {"-n", "--name"},
      paramLabel = "NAME",
      required = true,
      description = "The jail's name: letters, digits, '-' and '_'.")
  String name;

  @Option(
      names = {"-r", "--repo"},
      paramLabel = "DIR",
      defaultValue = ".",
      description = "The git repository (default: .).")
  Path repo;

  @Option(
      names = {"-b", "--branch"},
      paramLabel = "BRANCH",
      description = "The branch or commit to start from (default: HEAD).")
  String branch;

  @Option(
      names = "--entrypoint",
      paramLabel = "COMMAND",
      description =
          "The command `enter` runs, with arguments, quoted as in a shell, e.g."
              + " \"agent --prompt 'fix the build'\"; ~ and ~/ starting any argument, or after"
              + " --option=, are the home directory.")
  String entrypoint;

  @Option(
      names = "--agent",
      paramLabel = "NAME",
      description =
          "The agent profile: claude, codex, or an [agent.NAME] of config.toml (default: the"
              + " profile whose command is the entrypoint's, if any).")
  String agent;

  @Option(
      names = "--network",
      paramLabel = "MODE",
      completionCandidates = NetworkModes.class,
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
            ? List.<String>of()
            : ShellWords.split(entrypoint);
    JailState jail =
        jails()
            .create(
                CreateOptions.builder(name, repo)
                    .branch(branch)
                    .entrypoint(ep)
                    .agent(agent)
                    .network(jailNetwork())
                    .build());
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
    out().println(TerminalSafe.sanitizeLine(networkLine(jails().network(jail))));
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
    ToolchainReport tools = jails().toolchains();
    tools.added().forEach(t -> out().println("toolchain " + t));
    tools.refused().forEach(t -> out().println("toolchain " + t));
    jails().caches().forEach(c -> out().println(TerminalSafe.sanitizeLine("caches: " + c)));
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

  /** The jail's network in one line: its mode, where the mode came from, and what it reaches. */
  static String networkLine(JailNetwork.Effective net) {
    String what =
        switch (net.mode()) {
          case PROXY ->
              net.allowlist().entries().size()
                  + " allowed destinations through robojail's proxy"
                  + (net.defaults() ? "" : ", the default allowlist left out");
          case HOST -> "shares the host's network: its loopback is reachable";
          case NONE -> "loopback only";
        };
    String ports =
        net.hostPorts().isEmpty()
            ? ""
            : ", host ports "
                + String.join(", ", net.hostPorts().stream().map(String::valueOf).toList())
                + " at "
                + dev.robojail.net.HostPorts.NAME;
    return "network " + net.mode().key() + " (from " + net.from() + "): " + what + ports;
  }

  /** What the completion scripts offer for {@code --network}. */
  static final class NetworkModes implements Iterable<String> {
    @Override
    public java.util.Iterator<String> iterator() {
      return java.util.List.of("proxy", "none", "host").iterator();
    }
  }
}
