package dev.robojail.cli;

import dev.robojail.ffm.Termios;
import dev.robojail.jail.Jails;
import java.util.Arrays;
import java.util.List;

/**
 * Started by {@link TerminalLateTest} on a terminal of the test's making: runs {@code args[1..]} in
 * jail {@code args[0]} through {@link Jails#runOnTerminal}, in this JVM, and says how it ended and
 * whether the terminal's modes are as they were while this JVM still runs, before any shutdown hook
 * could have restored them.
 */
public final class JailsOnTerminalMain {
  private JailsOnTerminalMain() {}

  public static void main(String[] args) {
    Termios before = Termios.get(0);
    String outcome;
    try {
      List<String> command = Arrays.asList(args).subList(1, args.length);
      outcome = "exit " + Jails.open().runOnTerminal(args[0], command, false);
    } catch (RuntimeException e) {
      outcome = e.getClass().getSimpleName();
    }
    boolean restored = Termios.get(0).equals(before);
    System.out.println("[" + outcome + (restored ? ", modes restored]" : ", modes changed]"));
  }
}
