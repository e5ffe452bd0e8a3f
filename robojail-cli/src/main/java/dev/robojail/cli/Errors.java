package dev.robojail.cli;

import dev.robojail.jail.ConfigException;
import dev.robojail.jail.InvalidInputException;
import dev.robojail.jail.JailConflictException;
import dev.robojail.jail.JailException;
import dev.robojail.jail.StateException;
import dev.robojail.jail.TerminalSafe;
import dev.robojail.sandbox.SandboxException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * The one place where failures become exit codes and messages.
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
 *       failed, or an unexpected exception (a bug).
 * </ul>
 *
 * <p>{@code run} and {@code enter} return the jailed command's own status instead, so a command
 * exiting 1–4 looks the same as these; scripts that care check the message on standard error, which
 * is always one line {@code robojail: MESSAGE}. {@code ROBOJAIL_DEBUG=1} adds the stack trace.
 */
final class Errors {
  static final int OK = 0;
  static final int FAILED = 1;
  static final int INVALID_INPUT = 2;
  static final int UNEXPECTED_STATE = 3;
  static final int INTERNAL = 4;

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
    report(cl.getErr(), e);
    return exitCode(e);
  }

  static int handleParseException(ParameterException e, String[] args) {
    report(e.getCommandLine().getErr(), e);
    return INVALID_INPUT;
  }

  private static void report(PrintWriter err, Throwable t) {
    // Messages are one line already; sanitizing also keeps a hostile path from driving the
    // terminal.
    String line = TerminalSafe.sanitizeLine(message(t).strip().replace('\n', ' '));
    err.println("robojail: " + line);
    if ("1".equals(System.getenv("ROBOJAIL_DEBUG"))) {
      t.printStackTrace(err);
    }
    err.flush();
  }
}
