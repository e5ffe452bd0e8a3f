package dev.robojail.jail;

import java.io.Serial;

/**
 * Something the caller gave is not acceptable as it is: a jail name, or a branch or commit that git
 * would take for an option. Nothing was changed.
 */
public class InvalidInputException extends JailException {
  @Serial private static final long serialVersionUID = 1L;

  public InvalidInputException(String message) {
    super(message);
  }
}
