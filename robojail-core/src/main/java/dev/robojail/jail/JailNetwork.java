package dev.robojail.jail;

import java.util.List;

/**
 * The network settings one jail was created with ({@code create --network}, {@code
 * --network-allow}, {@code --host-port}), kept in its state and applied at every run: a mode that
 * overrides the configuration's, and allowlist entries and host ports added to the configuration's.
 *
 * @param mode the jail's network mode, or null to follow the configuration
 * @param allow allowlist entries added to the configuration's ({@code network_allow} syntax)
 * @param hostPorts host loopback ports added to the configuration's {@code host_ports}
 */
public record JailNetwork(Config.NetworkMode mode, List<String> allow, List<Integer> hostPorts) {
  /** Everything as the configuration says. */
  public static final JailNetwork CONFIG = new JailNetwork(null, List.of(), List.of());

  // One wording wherever a jail is about to share the host's network: create, run.
  static final String HOST_WARNING =
      "warning: network = \"host\": this jail shares the host's network and can reach every"
          + " service on its loopback (databases, dev servers); use \"proxy\" unless you need it";

  /**
   * Checks every entry.
   *
   * @throws InvalidInputException if an allowlist entry or a port is not valid
   */
  public JailNetwork {
    allow = List.copyOf(allow);
    hostPorts = List.copyOf(hostPorts);
    for (String entry : allow) {
      try {
        dev.robojail.net.Allowlist.entry(entry);
      } catch (IllegalArgumentException e) {
        throw new InvalidInputException(
            "invalid network allowlist entry "
                + TerminalSafe.sanitizeLine(entry)
                + ": "
                + e.getMessage());
      }
    }
    for (int p : hostPorts) {
      if (p < 1 || p > 65535) {
        throw new InvalidInputException("invalid host port " + p + ": must be 1 to 65535");
      }
    }
  }

  /** The host ports in effect with configuration {@code c}: the configuration's and the jail's. */
  public List<Integer> effectiveHostPorts(Config c) {
    java.util.TreeSet<Integer> all = new java.util.TreeSet<>(c.hostPorts());
    all.addAll(hostPorts);
    return List.copyOf(all);
  }

  /**
   * A jail's network as it runs: the mode, where the mode came from, the allowlist (for {@link
   * Config.NetworkMode#PROXY}) and the host ports.
   *
   * @param mode the mode in effect
   * @param from where it came from, as {@code create} and {@code doctor} name it: {@code create
   *     --network}, the agent profile (file and line), the configuration, or the default
   * @param allowlist the destinations the proxy lets through
   * @param defaults whether {@link dev.robojail.net.Allowlist#DEFAULT} is part of it
   * @param hostPorts the host loopback ports reached at {@code host.robojail.internal}
   */
  public record Effective(
      Config.NetworkMode mode,
      String from,
      dev.robojail.net.Allowlist allowlist,
      boolean defaults,
      List<Integer> hostPorts) {
    public Effective {
      hostPorts = List.copyOf(hostPorts);
    }
  }

  /**
   * The network in effect for this jail with configuration {@code c} and the jail's agent profile,
   * the most specific first: the mode of the jail's own {@code create --network}, else the
   * profile's {@code network}, else the configuration's ({@code network_enabled = false} meaning
   * {@code none}); the default allowlist as the profile's {@code network_allow_defaults} says, else
   * as the configuration's; and allowlist entries and host ports of all three together.
   *
   * @param configFile the configuration file, for {@link Effective#from}
   */
  public Effective effective(Config c, java.util.Optional<AgentProfile> agent, String configFile) {
    Config.NetworkMode chosen;
    String from;
    if (mode != null) {
      chosen = mode;
      from = "create --network";
    } else if (agent.isPresent() && agent.get().network() != null) {
      chosen = agent.get().network();
      from = agent.get().networkFrom();
    } else {
      chosen = c.effectiveNetwork();
      from =
          !c.networkEnabled()
              ? "network_enabled = false in " + configFile
              : c.network() != Config.DEFAULTS.network()
                  ? "network in " + configFile
                  : "the default";
    }
    boolean defaults =
        agent.map(AgentProfile::networkAllowDefaults).orElse(null) instanceof Boolean b
            ? b
            : c.networkAllowDefaults();
    dev.robojail.net.Allowlist allow =
        dev.robojail.net.Allowlist.parse(c.networkAllow())
            .plus(
                dev.robojail.net.Allowlist.parse(agent.map(AgentProfile::hosts).orElse(List.of())))
            .plus(dev.robojail.net.Allowlist.parse(this.allow));
    if (defaults) {
      allow = dev.robojail.net.Allowlist.DEFAULT.plus(allow);
    }
    java.util.TreeSet<Integer> ports = new java.util.TreeSet<>(effectiveHostPorts(c));
    agent.ifPresent(a -> ports.addAll(a.hostPorts()));
    return new Effective(chosen, from, allow, defaults, List.copyOf(ports));
  }
}
