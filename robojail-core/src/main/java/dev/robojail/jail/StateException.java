package dev.robojail.jail;

import java.io.Serial;

/** The state file could not be read or written; see {@link StateStore}. */
public final class StateException extends JailException {
  @Serial private static final long serialVersionUID = 1L;

  public StateException(String message) {
    super(message);
  }

  public StateException(String message, Throwable cause) {
    super(message, cause);
  }
}
