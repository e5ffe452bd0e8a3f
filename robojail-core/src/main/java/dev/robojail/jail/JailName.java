package dev.robojail.jail;

import java.util.Optional;

/**
 * The name of a jail: 1–64 ASCII letters, digits, {@code -} and {@code _}, starting with a letter
 * or digit.
 *
 * <p>The name becomes a directory name, part of a git branch name and a key in the state file, so
 * it is kept to characters that mean nothing special to a shell, to git or to a file system. The
 * constructor throws {@link InvalidJailNameException} for any other name.
 *
 * @param value the name
 */
public record JailName(String value) implements Comparable<JailName> {
  /** The longest acceptable name. */
  public static final int MAX_LENGTH = 64;

  public JailName {
    Optional<String> problem = problem(value);
    if (problem.isPresent()) {
      throw new InvalidJailNameException(problem.get());
    }
  }

  /** The name, validated. */
  public static JailName of(String value) {
    return new JailName(value);
  }

  /** Why {@code value} is not an acceptable jail name, in one line; empty if it is acceptable. */
  public static Optional<String> problem(String value) {
    if (value == null || value.isEmpty()) {
      return Optional.of("a jail name must not be empty");
    }
    String shown = '"' + TerminalSafe.sanitizeLine(value) + '"';
    if (value.length() > MAX_LENGTH) {
      return Optional.of(
          "jail name "
              + shown
              + " is too long: "
              + value.length()
              + " characters, at most "
              + MAX_LENGTH);
    }
    if (!isLetterOrDigit(value.charAt(0))) {
      return Optional.of("jail name " + shown + " must start with a letter or digit");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (!isLetterOrDigit(c) && c != '-' && c != '_') {
        return Optional.of(
            "jail name "
                + shown
                + " contains '"
                + TerminalSafe.sanitizeLine(String.valueOf(c))
                + "'; use only letters, digits, '-' and '_'");
      }
    }
    return Optional.empty();
  }

  private static boolean isLetterOrDigit(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }

  @Override
  public int compareTo(JailName other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
