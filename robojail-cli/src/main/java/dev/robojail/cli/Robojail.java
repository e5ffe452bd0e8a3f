package dev.robojail.cli;

import dev.robojail.jail.Jails;
import dev.robojail.jail.TerminalSafe;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The top command; the work is done by one class per subcommand. */
@Command(
    name = "robojail",
    mixinStandardHelpOptions = true,
    version = Robojail.VERSION_LINE,
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
    })
public final class Robojail implements Runnable {
  /**
   * The subcommands, by name and in the order of {@code --help}. Not in the annotation: picocli
   * would build the model of every one by reflection at each start, and a command needs only its
   * own ({@link #commandLine(Supplier, String[])}).
   */
  static final Map<String, Class<?>> SUBCOMMANDS = subcommands();

  private static Map<String, Class<?>> subcommands() {
    Map<String, Class<?>> m = new LinkedHashMap<>();
    m.put("help", CommandLine.HelpCommand.class);
    m.put("create", CreateCommand.class);
    m.put("list", ListCommand.class);
    m.put("run", RunCommand.class);
    m.put("enter", EnterCommand.class);
    m.put("exec", ExecCommand.class);
    m.put("forward", ForwardCommand.class);
    m.put("status", StatusCommand.class);
    m.put("merge", MergeCommand.class);
    m.put("doctor", DoctorCommand.class);
    m.put("relocate", RelocateCommand.class);
    m.put("destroy", DestroyCommand.class);
    m.put("completion", CompletionCommand.class);
    return Collections.unmodifiableMap(m);
  }

  // help and completion describe every command, so they need every model.
  private static final Set<String> NEEDS_ALL = Set.of("help", "completion");

  /** The version shown by {@code --version}. */
  public static final String VERSION = "0.1.0-SNAPSHOT";

  /** The line {@code --version} prints. */
  static final String VERSION_LINE = "robojail " + VERSION;

  @Spec CommandSpec spec;

  private final Supplier<Jails> jailsFactory;
  private Jails jails;

  Robojail(Supplier<Jails> jailsFactory) {
    this.jailsFactory = jailsFactory;
  }

  /**
   * The command line, with its exit codes and error handling set up.
   *
   * @param jails opens the jails when a subcommand first needs them, so that an invalid
   *     configuration is reported like any other error
   */
  public static CommandLine commandLine(Supplier<Jails> jails) {
    return commandLine(jails, SUBCOMMANDS.keySet());
  }

  /**
   * The command line for these arguments: when they name a subcommand, only its model is built (a
   * third of a command's start-up went to building all of them); otherwise (help, a mistyped or
   * missing command) all of them.
   */
  public static CommandLine commandLine(Supplier<Jails> jails, String[] args) {
    for (String arg : args) {
      if (!arg.startsWith("-")) {
        return commandLine(
            jails,
            SUBCOMMANDS.containsKey(arg) && !NEEDS_ALL.contains(arg)
                ? Set.of(arg)
                : SUBCOMMANDS.keySet());
      }
      if (arg.equals("--")) {
        break;
      }
    }
    return commandLine(jails, SUBCOMMANDS.keySet());
  }

  private static CommandLine commandLine(Supplier<Jails> jails, Set<String> names) {
    CommandLine cl = new CommandLine(new Robojail(jails));
    for (Map.Entry<String, Class<?>> sub : SUBCOMMANDS.entrySet()) {
      if (names.contains(sub.getKey())) {
        cl.addSubcommand(sub.getKey(), sub.getValue());
      }
    }
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
      // So is a run's warning (a jail that shares the host's network).
      java.util.function.Consumer<String> toErr =
          line -> {
            var err = spec.commandLine().getErr();
            err.println("robojail: " + TerminalSafe.sanitizeLine(line));
            err.flush();
          };
      jails.onRecovery(toErr);
      jails.onWarning(toErr);
    }
    return jails;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
  }
}
