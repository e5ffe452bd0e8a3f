package dev.robojail.net;

import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;

/**
 * The host's loopback TCP ports a jail may reach on purpose (a dev database, a local model server),
 * under the fixed name {@value #NAME} inside. Nothing else of the host is reachable: the jail's own
 * network namespace has a listener at {@value #ADDRESS}{@code :PORT} for each port, and the JVM
 * relays each connection to the host's {@code 127.0.0.1:PORT} ({@link HostRelay}).
 *
 * @param ports the ports, each once, in ascending order
 * @param log the file every connection is appended to ({@link ConnectionLog}), or null for none
 */
public record HostPorts(List<Integer> ports, Path log) {
  /** The name the host's chosen ports are reached at inside, as Docker's host.docker.internal. */
  public static final String NAME = "host.robojail.internal";

  /**
   * The jail-loopback address {@value #NAME} stands for inside: not 127.0.0.1, so that the jail's
   * own servers can still use every port there.
   */
  public static final String ADDRESS = "127.0.0.2";

  /** No host port. */
  public static final HostPorts NONE = new HostPorts(List.of(), null);

  public HostPorts {
    TreeSet<Integer> sorted = new TreeSet<>();
    for (int p : ports) {
      if (p < 1 || p > 65535) {
        throw new IllegalArgumentException("a host port must be 1 to 65535, not " + p);
      }
      sorted.add(p);
    }
    ports = List.copyOf(sorted);
  }

  /** These ports, logged to {@code file}. */
  public static HostPorts of(List<Integer> ports, Path file) {
    return new HostPorts(ports, file);
  }

  /** Whether there is no port. */
  public boolean isEmpty() {
    return ports.isEmpty();
  }

  /** The line robojail puts into the jail's {@code /etc/hosts}. */
  public static String hostsLine() {
    return ADDRESS + "\t" + NAME + "\n";
  }
}
