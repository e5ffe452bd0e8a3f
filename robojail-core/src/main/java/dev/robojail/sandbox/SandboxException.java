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
  public static sealed class SetupFailed extends SandboxException
      permits CommandNotFound, CannotExecute, OverlayRefused {
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

  /**
   * The kernel refused one of the sandbox's {@link Mount.Overlay} mounts (too old for layers given
   * as descriptors, a lower filesystem it does not stack on, layers on different filesystems): the
   * same sandbox without its overlays may work.
   */
  public static final class OverlayRefused extends SetupFailed {
    @Serial private static final long serialVersionUID = 1L;

    public OverlayRefused(String message, int step, String call, int errno, Throwable cause) {
      super(message, step, call, errno, cause);
    }
  }

  /** No file of the command's name exists along the sandbox's PATH (or at its path). */
  public static final class CommandNotFound extends SetupFailed {
    @Serial private static final long serialVersionUID = 1L;

    public CommandNotFound(String message, int step, String call, int errno, Throwable cause) {
      super(message, step, call, errno, cause);
    }
  }

  /**
   * The command's file exists but may not be executed: no execute permission, a mount without exec,
   * or not a format the kernel runs.
   */
  public static final class CannotExecute extends SetupFailed {
    @Serial private static final long serialVersionUID = 1L;

    public CannotExecute(String message, int step, String call, int errno, Throwable cause) {
      super(message, step, call, errno, cause);
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
