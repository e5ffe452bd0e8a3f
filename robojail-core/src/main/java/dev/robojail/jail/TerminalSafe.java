package dev.robojail.jail;

/**
 * Makes text written by a jail safe to print on the user's terminal.
 *
 * <p>A jail controls file names and file contents, and a terminal obeys control characters: ESC
 * sequences can retitle windows, rewrite what was printed, or on some terminals inject input. So
 * every C0 control except newline and tab, DEL and every C1 control (U+0080–U+009F, where 0x9B is a
 * one-byte CSI) is replaced by a visible spelling: {@code ^[} for ESC, {@code ^?} for DEL, {@code
 * \x9b} for C1. Bidirectional overrides (U+202A–U+202E, U+2066–U+2069, U+200E/U+200F) are spelled
 * {@code \u202e} too, because they make a diff display something other than what it contains.
 */
public final class TerminalSafe {
  private TerminalSafe() {}

  /** The text with control characters replaced; newlines and tabs are kept. */
  public static String sanitize(String text) {
    return sanitize(text, false);
  }

  /**
   * The text as one line: like {@link #sanitize} but newlines and tabs are replaced too. For file
   * names and values inside messages.
   */
  public static String sanitizeLine(String text) {
    return sanitize(text, true);
  }

  private static String sanitize(String text, boolean oneLine) {
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      String visible = visible(c, oneLine);
      if (visible != null && out == null) {
        out = new StringBuilder(text.length() + 16).append(text, 0, i);
      }
      if (out != null) {
        if (visible != null) {
          out.append(visible);
        } else {
          out.append(c);
        }
      }
    }
    return out == null ? text : out.toString();
  }

  private static String visible(char c, boolean oneLine) {
    if (c == '\n' || c == '\t') {
      return oneLine ? (c == '\n' ? "\\n" : "\\t") : null;
    }
    if (c < 0x20) {
      return "^" + (char) (c + 0x40);
    }
    if (c == 0x7f) {
      return "^?";
    }
    if (c >= 0x80 && c <= 0x9f) {
      return String.format("\\x%02x", (int) c);
    }
    if (c == '\u200e'
        || c == '\u200f'
        || (c >= '\u202a' && c <= '\u202e')
        || (c >= '\u2066' && c <= '\u2069')) {
      return String.format("\\u%04x", (int) c);
    }
    return null;
  }
}
