package dev.robojail.sandbox;

import java.io.Serial;

/** A sandbox could not be started. Subclasses say at which stage. */
public class SandboxException extends RuntimeException {
  @Serial private static final long serialVersionUID = 1L;

  public SandboxException(String message) {
    super(message);
  }

  public SandboxException(String message, Throwable cause) {
    super(message, cause);
  }

  /** The spec is invalid; nothing was touched. */
  public static final class InvalidSpec extends SandboxException {
    @Serial private static final long serialVersionUID = 1L;

    public InvalidSpec(String message) {
      super(message);
    }
  }

  /**
   * A step of the child's setup failed, or the command could not be executed; the child is gone.
   */
  public static final class SetupFailed extends SandboxException {
    @Serial private static final long serialVersionUID = 1L;
    private final int step;
    private final String call;
    private final int errno;

    public SetupFailed(String message, int step, String call, int errno, Throwable cause) {
      super(message, cause);
      this.step = step;
      this.call = call;
      this.errno = errno;
    }

    /** The index of the failed step in {@link Sandbox#plan()}. */
    public int step() {
      return step;
    }

    /** The failed call with its arguments. */
    public String call() {
      return call;
    }

    /** Its errno, or 0. */
    public int errno() {
      return errno;
    }
  }

  /** This kernel, or its configuration, does not let this user create namespaces. */
  public static final class NamespacesUnavailable extends SandboxException {
    @Serial private static final long serialVersionUID = 1L;

    public NamespacesUnavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
