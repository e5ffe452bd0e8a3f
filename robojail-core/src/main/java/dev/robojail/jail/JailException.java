package dev.robojail.jail;

import java.io.Serial;

/**
 * A jail operation failed. Every subclass carries a message of one line that can be shown to the
 * user as it is, without a stack trace.
 */
public class JailException extends RuntimeException {
  @Serial private static final long serialVersionUID = 1L;

  public JailException(String message) {
    super(message);
  }

  public JailException(String message, Throwable cause) {
    super(message, cause);
  }
}
