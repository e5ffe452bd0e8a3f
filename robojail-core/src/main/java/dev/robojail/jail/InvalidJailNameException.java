package dev.robojail.jail;

import java.io.Serial;

/** A jail name given by the user is not acceptable; see {@link JailName}. */
public final class InvalidJailNameException extends InvalidInputException {
  @Serial private static final long serialVersionUID = 1L;

  public InvalidJailNameException(String message) {
    super(message);
  }
}
