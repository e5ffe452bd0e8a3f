package dev.robojail.cli;

import dev.robojail.jail.Jails;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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

  public static void main(String[] args) throws Exception {
    String before = modes();
    String outcome;
    try {
      List<String> command = Arrays.asList(args).subList(1, args.length);
      outcome = "exit " + Jails.open().runOnTerminal(args[0], command, false);
    } catch (RuntimeException e) {
      outcome = e.getClass().getSimpleName();
    }
    boolean restored = modes().equals(before);
    System.out.println("[" + outcome + (restored ? ", modes restored]" : ", modes changed]"));
  }

  // stty(1) on this JVM's standard input, the terminal: its modes as a string it can set again.
  private static String modes() throws IOException, InterruptedException {
    Process stty =
        new ProcessBuilder("stty", "-g")
            .redirectInput(ProcessBuilder.Redirect.INHERIT)
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String modes = new String(stty.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (stty.waitFor() != 0) {
      throw new IllegalStateException("stty -g failed");
    }
    return modes;
  }
}
