package dev.robojail.sandbox;

import dev.robojail.net.EgressPolicy;
import dev.robojail.net.HostPorts;
import java.util.Objects;

/**
 * What network a sandbox has. Every choice but {@link #host()} gives it a network namespace of its
 * own with a working loopback, so that nothing listening on the host (its 127.0.0.1 services, its
 * abstract UNIX sockets: X11, D-Bus, agents) is reachable from inside, except the host ports it
 * lists on purpose ({@link HostPorts}).
 */
public sealed interface Network {
  /** Its own loopback only: no way out at all. */
  static Network loopback() {
    return new Loopback(HostPorts.NONE);
  }

  /**
   * Its own loopback, and {@code hostPorts} of the host's loopback at {@value
   * HostPorts#ADDRESS}{@code :PORT} inside, relayed by this JVM; nothing else.
   */
  static Network loopback(HostPorts hostPorts) {
    return new Loopback(hostPorts);
  }

  /**
   * Its own loopback, and an egress proxy at {@code 127.0.0.1:}{@value
   * dev.robojail.net.EgressProxy#PORT} inside, served by this JVM, that lets through what {@code
   * policy} allows. {@link SandboxProcess#egress()} returns the proxy; it closes when the sandbox
   * ends.
   */
  static Network proxy(EgressPolicy policy) {
    return new Proxy(policy, HostPorts.NONE);
  }

  /** {@link #proxy(EgressPolicy)}, and {@code hostPorts} as with {@link #loopback(HostPorts)}. */
  static Network proxy(EgressPolicy policy, HostPorts hostPorts) {
    return new Proxy(policy, hostPorts);
  }

  /**
   * The host's own network namespace: everything the host can reach, including its loopback
   * services and abstract UNIX sockets (Landlock, where the kernel has ABI 6, still keeps the
   * latter out).
   */
  static Network host() {
    return Host.INSTANCE;
  }

  /** The host ports relayed in; none with the host's network, which reaches them all anyway. */
  HostPorts hostPorts();

  /** Whether the sandbox's setup hands listening sockets to the parent. */
  default boolean handsOver() {
    return this instanceof Proxy || !hostPorts().isEmpty();
  }

  /**
   * See {@link #loopback()}.
   *
   * @param hostPorts the host ports relayed in
   */
  record Loopback(HostPorts hostPorts) implements Network {
    public Loopback {
      Objects.requireNonNull(hostPorts);
    }
  }

  /** See {@link #host()}. */
  enum Host implements Network {
    INSTANCE;

    @Override
    public HostPorts hostPorts() {
      return HostPorts.NONE;
    }
  }

  /**
   * See {@link #proxy(EgressPolicy)}.
   *
   * @param policy what the proxy lets through
   * @param hostPorts the host ports relayed in
   */
  record Proxy(EgressPolicy policy, HostPorts hostPorts) implements Network {
    public Proxy {
      Objects.requireNonNull(policy);
      Objects.requireNonNull(hostPorts);
    }
  }
}
