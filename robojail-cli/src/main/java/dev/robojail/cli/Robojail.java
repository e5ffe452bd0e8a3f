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
    version = "robojail " + Robojail.VERSION,
    description = "Runs AI coding agents in a jail: a git worktree of your project in namespaces.")
public final class Robojail implements Runnable {
  /**
   * The subcommands, by name and in the order of {@code --help}. Not in the annotation: picocli
   * would build the model of every one by reflection at each start, and a command needs only its
   * own ({@link #commandLine(Supplier, String[])}).
   */
  static final Map<String, Class<?>> SUBCOMMANDS = subcommands();

  private static Map<String, Class<?>> subcommands() {
    Map<String, Class<?>> m = new LinkedHashMap<>();
    m.put("create", CreateCommand.class);
    m.put("list", ListCommand.class);
    m.put("run", RunCommand.class);
    m.put("enter", EnterCommand.class);
    m.put("status", StatusCommand.class);
    m.put("merge", MergeCommand.class);
    m.put("doctor", DoctorCommand.class);
    m.put("relocate", RelocateCommand.class);
    m.put("destroy", DestroyCommand.class);
    return Collections.unmodifiableMap(m);
  }

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
            jails, SUBCOMMANDS.containsKey(arg) ? Set.of(arg) : SUBCOMMANDS.keySet());
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
    return cl;
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
    throw new CommandLine.ParameterException(
        spec.commandLine(), "missing subcommand; see robojail --help");
  }
}
