package dev.robojail.net;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a jail's egress proxy lets through and how it behaves: the {@link Allowlist}, how names are
 * resolved, its limits, where it logs, and what a refusal tells the user to change.
 *
 * @param allowlist the destinations allowed
 * @param resolver how names are resolved; the system's resolver unless a test gives its own
 * @param limits how much one jail may use of the proxy
 * @param log the file every connection is appended to, or null for none
 * @param configHint where an allowlist entry goes, shown in refusals (such as {@code
 *     ~/.config/robojail/config.toml})
 */
public record EgressPolicy(
    Allowlist allowlist, Resolver resolver, Limits limits, Path log, String configHint) {
  public EgressPolicy {
    Objects.requireNonNull(allowlist);
    Objects.requireNonNull(resolver);
    Objects.requireNonNull(limits);
    Objects.requireNonNull(configHint);
  }

  /** A policy with this allowlist, the system's resolver, default limits and no log. */
  public static EgressPolicy of(Allowlist allowlist) {
    return new EgressPolicy(
        allowlist, Resolver.SYSTEM, Limits.DEFAULT, null, "robojail's config.toml");
  }

  /**
   * The same policy resolving names with {@code resolver}: for tests, which make an allowed name
   * reach a local server. Only the API offers this; no configuration key does.
   */
  public EgressPolicy withResolver(Resolver resolver) {
    return new EgressPolicy(allowlist, resolver, limits, log, configHint);
  }

  /** The same policy logging to {@code file}. */
  public EgressPolicy withLog(Path file) {
    return new EgressPolicy(allowlist, resolver, limits, file, configHint);
  }

  /** The same policy with these limits. */
  public EgressPolicy withLimits(Limits limits) {
    return new EgressPolicy(allowlist, resolver, limits, log, configHint);
  }

  /** The same policy naming {@code hint} in refusals. */
  public EgressPolicy withConfigHint(String hint) {
    return new EgressPolicy(allowlist, resolver, limits, log, hint);
  }

  /** Resolves a canonical host name to its addresses. */
  @FunctionalInterface
  public interface Resolver {
    /** The system's resolver. */
    Resolver SYSTEM = name -> List.of(InetAddress.getAllByName(name));

    List<InetAddress> resolve(String canonicalName) throws IOException;
  }

  /**
   * How much one jail may use of the proxy.
   *
   * @param maxConnections connections open at once; more are answered 503
   * @param maxHeaderBytes the longest request head (request line and headers)
   * @param headerTimeout how long a client may take to send its request head
   * @param connectTimeout how long connecting to a destination may take
   * @param idleTimeout how long a connection may carry nothing in either direction
   */
  public record Limits(
      int maxConnections,
      int maxHeaderBytes,
      Duration headerTimeout,
      Duration connectTimeout,
      Duration idleTimeout) {
    /** 256 connections, 32 KiB heads, 30 s for the head, 10 s to connect, 10 min idle. */
    public static final Limits DEFAULT =
        new Limits(
            256, 32 * 1024, Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofMinutes(10));
  }

  /** What the proxy does with a request for {@code host} (as the client wrote it) and port. */
  public Decision decide(String host, int port) {
    String shown = HostNames.printable(host);
    Optional<InetAddress> literal = HostNames.literal(host);
    if (literal.isPresent()) {
      InetAddress a = literal.get();
      String entry = "network_allow = [\"" + entryFor(a, port) + "\"]";
      return allowlist.allowsAddress(a, port)
          ? new Decision.Allowed(HostNames.show(a), a)
          : new Decision.Refused(
              shown, port, "an IP address is refused unless it is listed", entry);
    }
    String name;
    try {
      name = HostNames.canonical(host);
    } catch (IllegalArgumentException e) {
      return new Decision.Refused(shown, port, e.getMessage(), null);
    }
    if (HostNames.looksNumeric(name)) {
      return new Decision.Refused(shown, port, "a numeric name is refused", null);
    }
    if (!allowlist.allowsName(name, port)) {
      return new Decision.Refused(
          name, port, "not in the allowlist", "network_allow = [\"" + name + "\"]");
    }
    List<InetAddress> addresses;
    try {
      addresses = resolver.resolve(name);
    } catch (IOException e) {
      return new Decision.Refused(name, port, "cannot resolve the name", null);
    }
    // Resolved once, checked, and exactly the checked address is the one connected to: a
    // second lookup could answer differently (DNS rebinding).
    InetAddress refused = null;
    for (InetAddress a : addresses) {
      if (!HostNames.isNonPublic(a) || allowlist.allowsAddress(a, port)) {
        return new Decision.Allowed(name, a);
      }
      refused = a;
    }
    if (refused == null) {
      return new Decision.Refused(name, port, "the name has no address", null);
    }
    return new Decision.Refused(
        name,
        port,
        "it resolves to " + HostNames.show(refused) + ", which is not a public address",
        "network_allow = [\"" + name + "\", \"" + entryFor(refused, -1) + "\"]");
  }

  /** The allowlist entry for an address and port (-1: the address alone). */
  private static String entryFor(InetAddress address, int port) {
    String a = HostNames.show(address);
    if (address instanceof java.net.Inet6Address) {
      a = "[" + a + "]";
    }
    return port < 0 ? a : a + ":" + port;
  }

  /** The proxy's answer to one request. */
  public sealed interface Decision {
    /**
     * Connect to exactly this address.
     *
     * @param host the canonical name or address, for the log
     * @param address the address to connect to
     */
    record Allowed(String host, InetAddress address) implements Decision {}

    /**
     * Refuse.
     *
     * @param host the host, printable
     * @param port the port
     * @param reason why, for the client and the log
     * @param allowLine the configuration line that would allow it, or null if none would
     */
    record Refused(String host, int port, String reason, String allowLine) implements Decision {}
  }
}
