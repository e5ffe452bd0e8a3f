package dev.robojail.cli;

import dev.robojail.jail.Jails;
import java.util.List;

/**
 * Runs a jail on the user's terminal. When any standard stream is a terminal, the jail gets a
 * pseudo-terminal of its own, from its own devpts, relayed (job control, Ctrl-C, Ctrl-Z and resizes
 * work inside, and nothing inside can reach the user's terminal); otherwise the streams pass
 * through as they are. Whether a stream is a terminal is asked only once the jail is found and
 * prepared ({@link Jails#runOnTerminal}): a missing jail fails before the terminal is touched, and
 * the JVM's first native call comes after the native-free part of the run.
 */
final class JailTerminal {
  private JailTerminal() {}

  static int run(Jails jails, String name, List<String> command, boolean interactive) {
    return jails.runOnTerminal(name, command, interactive);
  }

  /** {@code exec}: a command joins the running jail, on the user's terminal as {@link #run}. */
  static int exec(Jails jails, String name, List<String> command) {
    return jails.execOnTerminal(name, command);
  }
}
