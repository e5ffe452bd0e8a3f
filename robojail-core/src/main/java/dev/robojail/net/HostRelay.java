package dev.robojail.net;

import dev.robojail.ffm.Kernel;
import dev.robojail.ffm.SyscallException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Serves a jail's {@link HostPorts}: each listening socket was made inside the jail's network
 * namespace at {@value HostPorts#ADDRESS}{@code :PORT}; each connection to it is relayed to the
 * host's {@code 127.0.0.1:PORT} and logged, as the egress proxy's are, under {@value
 * HostPorts#NAME}. The relay speaks no protocol: any TCP client works, proxy-aware or not.
 */
public final class HostRelay implements AutoCloseable {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  private static final byte[] LOOPBACK = {127, 0, 0, 1};

  private final Kernel kernel;
  private final List<JailListener> listeners = new ArrayList<>();
  private final ConnectionLog log;

  private HostRelay(Kernel kernel, HostPorts ports) {
    this.kernel = kernel;
    this.log = new ConnectionLog(ports.log());
  }

  /**
   * Serves {@code listenFds}, one per port of {@code ports} in their order; the relay now owns and
   * closes them.
   *
   * @param name what the relay's threads are named after, such as the jail's pid
   */
  public static HostRelay serve(
      Kernel kernel,
      List<Integer> listenFds,
      HostPorts ports,
      EgressPolicy.Limits limits,
      String name) {
    if (listenFds.size() != ports.ports().size()) {
      throw new IllegalArgumentException(
          listenFds.size() + " listeners for " + ports.ports().size() + " ports");
    }
    HostRelay r = new HostRelay(kernel, ports);
    for (int i = 0; i < listenFds.size(); i++) {
      int port = ports.ports().get(i);
      r.listeners.add(
          new JailListener(
                  kernel,
                  listenFds.get(i),
                  limits.maxConnections(),
                  limits.idleTimeout(),
                  "host-" + port + "-" + name,
                  r.handler(port, limits))
              .start());
    }
    return r;
  }

  private JailListener.Handler handler(int port, EgressPolicy.Limits limits) {
    return new JailListener.Handler() {
      @Override
      public void serve(Relay c) {
        relay(c, port, limits);
      }

      @Override
      public void overflow(Relay c) {
        log.append(
            new ConnectionLog.Line(false, HostPorts.NAME, port, 0, 0, "too many connections"));
      }
    };
  }

  private void relay(Relay c, int port, EgressPolicy.Limits limits) {
    try {
      c.host(
          kernel.connectTcp(
              LOOPBACK,
              port,
              (int) Math.min(limits.connectTimeout().toMillis(), CONNECT_TIMEOUT.toMillis())),
          true);
    } catch (SyscallException e) {
      // The jail's client sees its connection closed, as with nothing listening.
      log.append(
          new ConnectionLog.Line(
              false, HostPorts.NAME, port, 0, 0, "the host's port: " + e.getMessage()));
      return;
    }
    c.relay(new byte[0]);
    log.append(new ConnectionLog.Line(true, HostPorts.NAME, port, c.up.get(), c.down.get(), null));
  }

  /** How many connections are open now, over every port. */
  public int openConnections() {
    return listeners.stream().mapToInt(JailListener::openConnections).sum();
  }

  /** Stops every port's listener and ends its connections. */
  @Override
  public void close() {
    listeners.forEach(JailListener::close);
  }
}
