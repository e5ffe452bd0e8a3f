package dev.robojail.cli;

import dev.robojail.jail.Jails;
import dev.robojail.jail.TerminalSafe;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The top command; the work is done by one class per subcommand. */
@Command(
    name = "robojail",
    mixinStandardHelpOptions = true,
    version = "robojail " + Robojail.VERSION,
    description = "Runs AI coding agents in a jail: a git worktree of your project in namespaces.",
    footerHeading = "%nExamples:%n",
    footer = {
      "  robojail create --name fix-tests",
      "  robojail run fix-tests make -j4",
      "  robojail enter fix-tests",
      "  robojail status fix-tests --diff",
      "  robojail merge fix-tests",
      "  robojail destroy fix-tests",
      "  source <(robojail completion bash)",
      "",
      "run, enter and exec exit with the jailed command's own status, or 125 (robojail failed),",
      "126 (cannot execute) or 127 (not found). See 'robojail help COMMAND'."
    },
    subcommands = {
      CommandLine.HelpCommand.class,
      CreateCommand.class,
      ListCommand.class,
      RunCommand.class,
      EnterCommand.class,
      ExecCommand.class,
      ForwardCommand.class,
      StatusCommand.class,
      MergeCommand.class,
      DoctorCommand.class,
      RelocateCommand.class,
      DestroyCommand.class,
      CompletionCommand.class
    })
public final class Robojail implements Runnable {
  /** The version shown by {@code --version}. */
  public static final String VERSION = "0.1.0-SNAPSHOT";

  @Spec CommandSpec spec;

  private final Supplier<Jails> jailsFactory;
  private Jails jails;

  private Robojail(Supplier<Jails> jailsFactory) {
    this.jailsFactory = jailsFactory;
  }

  /**
   * The command line, with its exit codes and error handling set up.
   *
   * @param jails opens the jails when a subcommand first needs them, so that an invalid
   *     configuration is reported like any other error
   */
  public static CommandLine commandLine(Supplier<Jails> jails) {
    CommandLine cl = new CommandLine(new Robojail(jails));
    cl.setExecutionExceptionHandler(Errors::handleExecutionException);
    cl.setParameterExceptionHandler(Errors::handleParseException);
    cl.setExitCodeExceptionMapper(Errors::exitCode);
    conventions(cl);
    return cl;
  }

  /**
   * What every command gets from being registered: its exit codes in its help, and, for those that
   * run a command in a jail, options that stop at the command ({@code run J make -j4}).
   */
  private static void conventions(CommandLine cl) {
    cl.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n");
    cl.getCommandSpec().usageMessage().exitCodeList(Errors.exitCodeList(cl));
    for (CommandLine sub : cl.getSubcommands().values()) {
      sub.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n");
      sub.getCommandSpec().usageMessage().exitCodeList(Errors.exitCodeList(sub));
      if (Errors.runsACommand(sub)) {
        sub.setStopAtPositional(true);
      }
    }
  }

  Jails jails() {
    if (jails == null) {
      jails = jailsFactory.get();
      // What the recovery of an interrupted jail did is news the user should see, on stderr so
      // that a command's output stays its own.
      jails.onRecovery(
          note -> {
            var err = spec.commandLine().getErr();
            err.println("robojail: " + TerminalSafe.sanitizeLine(note));
            err.flush();
          });
    }
    return jails;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
  }
}
