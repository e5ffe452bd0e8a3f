package dev.robojail.cli;

import dev.robojail.jail.JailException;
import dev.robojail.jail.Jails;
import dev.robojail.sandbox.TerminalRelay;
import java.util.List;

/**
 * Runs a jail on the user's terminal. When standard input and output are a terminal, the jail gets
 * a pseudo-terminal of its own, relayed (job control, Ctrl-C, Ctrl-Z and resizes work inside, and
 * nothing inside can reach the user's terminal); otherwise the streams pass through as they are.
 */
final class JailTerminal {
  private JailTerminal() {}

  static int run(Jails jails, String name, List<String> command, boolean interactive) {
    if (!TerminalRelay.available()) {
      return jails.run(name, command, interactive);
    }
    try (TerminalRelay relay = TerminalRelay.open()) {
      int status = jails.run(name, command, interactive, relay::attach);
      relay.finish();
      return status;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new JailException("interrupted while jail " + name + " ran", e);
    }
  }
}
