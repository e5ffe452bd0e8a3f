package dev.robojail.jail;

import java.io.Serial;
import java.util.List;

/** A git command failed, or git could not be run at all. */
public final class GitException extends JailException {
  @Serial private static final long serialVersionUID = 1L;

  private final transient List<String> command;
  private final int exitCode;
  private final String stderr;

  /**
   * @param command the git arguments, without the hardening options, for the message
   * @param exitCode git's exit status, or -1 when it did not run
   * @param stderr everything git wrote on standard error
   */
  public GitException(List<String> command, int exitCode, String stderr) {
    super(message(command, exitCode, stderr));
    this.command = List.copyOf(command);
    this.exitCode = exitCode;
    this.stderr = stderr;
  }

  public GitException(List<String> command, String problem, Throwable cause) {
    super("git " + String.join(" ", command) + ": " + problem, cause);
    this.command = List.copyOf(command);
    this.exitCode = -1;
    this.stderr = "";
  }

  private static String message(List<String> command, int exitCode, String stderr) {
    String first =
        stderr.lines().map(String::strip).filter(l -> !l.isEmpty()).findFirst().orElse(null);
    String why = first != null ? first : "exit status " + exitCode;
    return TerminalSafe.sanitizeLine("git " + String.join(" ", command) + ": " + why);
  }

  /** The git arguments, without the hardening options. */
  public List<String> command() {
    return command;
  }

  /** Git's exit status, or -1 when it did not run. */
  public int exitCode() {
    return exitCode;
  }

  /** Everything git wrote on standard error. */
  public String stderr() {
    return stderr;
  }
}
