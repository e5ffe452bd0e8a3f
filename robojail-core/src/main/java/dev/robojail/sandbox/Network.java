package dev.robojail.sandbox;

import dev.robojail.net.EgressPolicy;
import java.util.Objects;

/**
 * What network a sandbox has. Every choice but {@link #host()} gives it a network namespace of its
 * own with a working loopback, so that nothing listening on the host (its 127.0.0.1 services, its
 * abstract UNIX sockets: X11, D-Bus, agents) is reachable from inside.
 */
public sealed interface Network {
  /** Its own loopback only: no way out at all. */
  static Network loopback() {
    return Loopback.INSTANCE;
  }

  /**
   * Its own loopback, and an egress proxy at {@code 127.0.0.1:}{@value
   * dev.robojail.net.EgressProxy#PORT} inside, served by this JVM, that lets through what {@code
   * policy} allows. {@link SandboxProcess#egress()} returns the proxy; it closes when the sandbox
   * ends.
   */
  static Network proxy(EgressPolicy policy) {
    return new Proxy(policy);
  }

  /**
   * The host's own network namespace: everything the host can reach, including its loopback
   * services and abstract UNIX sockets (Landlock, where the kernel has ABI 6, still keeps the
   * latter out).
   */
  static Network host() {
    return Host.INSTANCE;
  }

  /** See {@link #loopback()}. */
  enum Loopback implements Network {
    INSTANCE
  }

  /** See {@link #host()}. */
  enum Host implements Network {
    INSTANCE
  }

  /**
   * See {@link #proxy(EgressPolicy)}.
   *
   * @param policy what the proxy lets through
   */
  record Proxy(EgressPolicy policy) implements Network {
    public Proxy {
      Objects.requireNonNull(policy);
    }
  }
}
