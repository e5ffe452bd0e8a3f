package dev.robojail.ffm;

import java.io.Serial;

/**
 * A step of a {@link SetupProgram} failed in the child, which then exited without running the
 * command. The message names the step, the call with its arguments, and the errno.
 */
public final class SetupStepException extends SyscallException {
  @Serial private static final long serialVersionUID = 1L;

  private final int step;

  /**
   * @param step the index of the failed step in its program
   * @param call the failed step
   * @param errno the errno it failed with, or 0 when it returned something other than expected
   * @param result what it returned
   */
  public SetupStepException(int step, SetupProgram.Step call, int errno, long result) {
    super(
        call.toString(),
        errno,
        errno != 0
            ? "setup step "
                + step
                + " failed: "
                + call
                + ": "
                + Errno.name(errno)
                + " ("
                + Errno.message(errno)
                + ")"
            : "setup step "
                + step
                + " failed: "
                + call
                + " returned "
                + result
                + ", expected "
                + call.expected());
    this.step = step;
  }

  SetupStepException(int step) {
    super("(end of program)", 0, "setup program ended after " + step + " steps without execve");
    this.step = step;
  }

  /** The index of the failed step in the program, from 0. */
  public int step() {
    return step;
  }
}
