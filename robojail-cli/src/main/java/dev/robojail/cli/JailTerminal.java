package dev.robojail.cli;

import dev.robojail.jail.Jails;
import dev.robojail.sandbox.TerminalRelay;
import java.util.List;

/**
 * Runs a jail on the user's terminal. When any standard stream is a terminal, the jail gets a
 * pseudo-terminal of its own, from its own devpts, relayed (job control, Ctrl-C, Ctrl-Z and resizes
 * work inside, and nothing inside can reach the user's terminal); otherwise the streams pass
 * through as they are.
 */
final class JailTerminal {
  private JailTerminal() {}

  static int run(Jails jails, String name, List<String> command, boolean interactive) {
    if (!TerminalRelay.available()) {
      return jails.run(name, command, interactive);
    }
    try (TerminalRelay relay = TerminalRelay.open()) {
      return jails.run(name, command, interactive, relay);
    }
  }

  /** {@code exec}: a command joins the running jail, on the user's terminal as {@link #run}. */
  static int exec(Jails jails, String name, List<String> command) {
    if (!TerminalRelay.available()) {
      return jails.exec(name, command, null);
    }
    try (TerminalRelay relay = TerminalRelay.open()) {
      return jails.exec(name, command, relay);
    }
  }
}
