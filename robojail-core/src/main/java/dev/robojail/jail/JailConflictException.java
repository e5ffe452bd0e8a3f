package dev.robojail.jail;

import java.io.Serial;

/**
 * A jail operation conflicts with the jail's current state: the jail exists already, does not
 * exist, is running, or holds work that the operation would throw away.
 */
public final class JailConflictException extends JailException {
  @Serial private static final long serialVersionUID = 1L;

  public JailConflictException(String message) {
    super(message);
  }
}
