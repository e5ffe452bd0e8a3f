package dev.robojail.cli;

import dev.robojail.jail.Jails;
import java.io.PrintWriter;

/** The {@code robojail} command. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(execute(args, null, null));
  }

  /**
   * The command line run as {@link #main} runs it, for the AOT training, which goes through here so
   * that this class and its lambda are in the caches rather than read from the jar and spun at each
   * start.
   */
  static int execute(String[] args, PrintWriter out, PrintWriter err) {
    return QuickModel.execute(Jails::open, args, out, err);
  }
}
