package dev.robojail.cli;

import dev.robojail.jail.Jails;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
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
