package dev.robojail.cli;

import dev.robojail.jail.Jails;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** What every subcommand shares: the jails, and the output stream. */
abstract class JailCommand implements Callable<Integer> {
  @ParentCommand Robojail root;

  @Spec CommandSpec spec;

  /** The command's work; exceptions go to {@link Errors}. */
  abstract int doCall();

  @Override
  public final Integer call() {
    try {
      return doCall();
    } finally {
      out().flush();
    }
  }

  /**
   * The jailed command from the arguments after the jail's name: options stop there (see {@link
   * Robojail}), so a {@code --} the user typed out of habit arrives as the first argument.
   */
  List<String> command(List<String> args) {
    List<String> command =
        !args.isEmpty() && args.getFirst().equals("--") ? args.subList(1, args.size()) : args;
    if (command.isEmpty()) {
      throw new ParameterException(spec.commandLine(), "missing the command to run after --");
    }
    return command;
  }

  Jails jails() {
    return root.jails();
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  /** Warns on standard error when jail {@code name} shares the host's network. */
  void warnAboutHostNetwork(String name) {
    String w = jails().hostNetworkWarning(name);
    if (w != null) {
      err().println("robojail: " + w);
      err().flush();
    }
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }
}
