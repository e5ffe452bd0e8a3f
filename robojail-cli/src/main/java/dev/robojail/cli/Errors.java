package dev.robojail.cli;

import dev.robojail.jail.ConfigException;
import dev.robojail.jail.InvalidInputException;
import dev.robojail.jail.JailConflictException;
import dev.robojail.jail.JailException;
import dev.robojail.jail.StateException;
import dev.robojail.jail.TerminalSafe;
import dev.robojail.sandbox.SandboxException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The one place where failures become exit codes and messages.
 *
 * <p>Most commands:
 *
 * <ul>
 *   <li>0: success;
 *   <li>1: a jail operation failed (git failed, the repository is unusable, the entrypoint is
 *       missing…);
 *   <li>2: invalid input: usage errors, a bad jail name, a branch that looks like an option, an
 *       invalid configuration file, or a sandbox spec the configuration made invalid;
 *   <li>3: the jails are not in the state the command needs: the jail exists, does not exist, is
 *       running, has uncommitted changes, or the state file is corrupt;
 *   <li>4: robojail itself could not work here: user namespaces unavailable, a sandbox setup step
 *       failed, {@code doctor} found a problem, or an unexpected exception (a bug).
 * </ul>
 *
 * <p>The commands that run a command in a jail ({@link #RUNS_A_COMMAND}) exit with that command's
 * own status, so their own failures use the codes podman and docker use, above any status a command
 * normally has: 125 for every failure of robojail itself (all of 1–4 above, usage errors included),
 * 126 when the command exists but cannot be executed, 127 when it is not found.
 *
 * <p>Every failure is one line {@code robojail: MESSAGE} on standard error; a usage error's line
 * ends with the help to read. {@code ROBOJAIL_DEBUG=1} adds the stack trace.
 */
final class Errors {
  static final int OK = 0;
  static final int FAILED = 1;
  static final int INVALID_INPUT = 2;
  static final int UNEXPECTED_STATE = 3;
  static final int INTERNAL = 4;
  static final int ROBOJAIL_FAILED = 125;
  static final int CANNOT_EXECUTE = 126;
  static final int NOT_FOUND = 127;

  /**
   * The subcommands whose exit status is the jailed command's. By name, so that a new one gets the
   * convention, and options that stop at the command, by being called so.
   */
  static final Set<String> RUNS_A_COMMAND = Set.of("run", "enter", "exec");

  private Errors() {}

  static int exitCode(Throwable t) {
    return switch (t) {
      case ParameterException _ -> INVALID_INPUT;
      case InvalidInputException _ -> INVALID_INPUT;
      case ConfigException _ -> INVALID_INPUT;
      case JailConflictException _ -> UNEXPECTED_STATE;
      case StateException _ -> UNEXPECTED_STATE;
      case JailException _ -> FAILED;
      case SandboxException.InvalidSpec _ -> INVALID_INPUT;
      case SandboxException _ -> INTERNAL;
      default -> INTERNAL;
    };
  }

  /** The exit code of {@code t} thrown by {@code command}, one of robojail's subcommands. */
  static int exitCode(Throwable t, CommandLine command) {
    if (!runsACommand(command)) {
      return exitCode(t);
    }
    return switch (t) {
      case SandboxException.CommandNotFound _ -> NOT_FOUND;
      case SandboxException.CannotExecute _ -> CANNOT_EXECUTE;
      default -> ROBOJAIL_FAILED;
    };
  }

  static boolean runsACommand(CommandLine command) {
    return command.getParent() != null
        && command.getParent().getParent() == null
        && RUNS_A_COMMAND.contains(command.getCommandName());
  }

  static String message(Throwable t) {
    String m = t.getMessage();
    if (t instanceof JailException
        || t instanceof SandboxException
        || t instanceof ParameterException) {
      return m == null ? t.getClass().getSimpleName() : m;
    }
    return "internal error: " + t + " (set ROBOJAIL_DEBUG=1 for details)";
  }

  static int handleExecutionException(Exception e, CommandLine cl, ParseResult parsed) {
    String line = e instanceof ParameterException p ? usageLine(p) : message(e);
    // A bad name, port or mode the command checked itself is as much a usage error as one
    // picocli found: it ends with the help to read too.
    if (e instanceof InvalidInputException) {
      line += "; see '" + helpCommand(cl) + "'";
    }
    report(cl.getErr(), line, e);
    return exitCode(e, cl);
  }

  static int handleParseException(ParameterException e, String[] args) {
    CommandLine cl = e.getCommandLine();
    report(cl.getErr(), usageLine(e), e);
    return runsACommand(cl) ? ROBOJAIL_FAILED : INVALID_INPUT;
  }

  /**
   * A usage error as one line: what is wrong, picocli's suggestions for a mistyped command or
   * option, and the help to read.
   */
  static String usageLine(ParameterException e) {
    CommandLine cl = e.getCommandLine();
    String what = e.getMessage();
    List<String> suggestions = List.of();
    if (e instanceof UnmatchedArgumentException u) {
      suggestions = u.getSuggestions();
      List<String> unmatched = u.getUnmatched();
      if (!unmatched.isEmpty()) {
        String first = unmatched.getFirst();
        boolean isCommand = !cl.getSubcommands().isEmpty() && !first.startsWith("-");
        what = (isCommand ? "unknown command: " : "unknown option or argument: ") + first;
      }
    }
    // `help nope`: picocli's help command words it differently, and suggests nothing
    if (e.getValue() != null && what.equals("Unknown subcommand '" + e.getValue() + "'.")) {
      what = "unknown command: " + e.getValue();
      suggestions = new UnmatchedArgumentException(cl, List.of(e.getValue())).getSuggestions();
    }
    StringBuilder line = new StringBuilder(what);
    if (!suggestions.isEmpty()) {
      line.append("; did you mean ")
          .append(suggestions.stream().map(s -> "'" + s + "'").collect(Collectors.joining(" or ")))
          .append('?');
    }
    return line.append("; see '").append(helpCommand(cl)).append("'").toString();
  }

  static String helpCommand(CommandLine cl) {
    return cl.getCommandSpec().qualifiedName() + " --help";
  }

  /**
   * The exit codes {@code command} documents in its {@code --help}, as picocli's exit code list.
   */
  static Map<String, String> exitCodeList(CommandLine command) {
    Map<String, String> codes = new LinkedHashMap<>();
    if (runsACommand(command)) {
      codes.put(" other", "the command's own exit status (128+N: signal N ended it)");
      codes.put(" 125", "robojail failed: a usage error, no such jail, a setup failure…");
      codes.put(" 126", "the command exists but cannot be executed");
      codes.put(" 127", "the command was not found in the jail");
      return codes;
    }
    codes.put(" 0", "success");
    codes.put(" 1", "the operation failed (git failed, the repository is unusable…)");
    codes.put(" 2", "invalid input: a usage error, a bad name, an invalid config file");
    codes.put(" 3", "not in the state needed: no such jail, it exists, is running, is dirty…");
    codes.put(" 4", "robojail cannot work here (doctor says why), or a bug");
    return codes;
  }

  private static void report(PrintWriter err, String message, Throwable t) {
    // Messages are one line already; sanitizing also keeps a hostile path from driving the
    // terminal.
    String line = TerminalSafe.sanitizeLine(message.strip().replace('\n', ' '));
    err.println("robojail: " + line);
    if ("1".equals(System.getenv("ROBOJAIL_DEBUG"))) {
      t.printStackTrace(err);
    }
    err.flush();
  }
}
