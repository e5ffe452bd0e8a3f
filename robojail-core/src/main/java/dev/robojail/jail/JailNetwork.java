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

  /** The mode in effect with configuration {@code c}. */
  public Config.NetworkMode effectiveMode(Config c) {
    return mode != null ? mode : c.effectiveNetwork();
  }

  /** The host ports in effect with configuration {@code c}: the configuration's and the jail's. */
  public List<Integer> effectiveHostPorts(Config c) {
    java.util.TreeSet<Integer> all = new java.util.TreeSet<>(c.hostPorts());
    all.addAll(hostPorts);
    return List.copyOf(all);
  }

  /** The allowlist in effect with configuration {@code c}: the configuration's and the jail's. */
  public dev.robojail.net.Allowlist effectiveAllowlist(Config c) {
    return allow.isEmpty()
        ? c.allowlist()
        : c.allowlist().plus(dev.robojail.net.Allowlist.parse(allow));
  }
}
