package dev.robojail.cli;

import dev.robojail.jail.Jails;

/** The {@code robojail} command. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(QuickModel.execute(Jails::open, args, null, null));
  }
}
