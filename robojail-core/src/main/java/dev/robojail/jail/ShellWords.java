package dev.robojail.jail;

import java.util.ArrayList;
import java.util.List;

/**
 * A command line split into words the way a POSIX shell quotes, and nothing more: no variables, no
 * globbing, no command substitution, no operators. It exists so that one option ({@code
 * --entrypoint "agent --prompt 'fix the build'"}) can carry a whole argument vector; doing more
 * than quoting would make a string the user typed mean something they did not see.
 *
 * <ul>
 *   <li>unquoted blanks (space, tab, newline) separate words;
 *   <li>{@code '...'} keeps everything inside literally;
 *   <li>{@code "..."} keeps everything inside, except that a backslash escapes {@code "}, {@code
 *       \}, {@code $} and {@code `} (and a newline, which it removes), as in a shell;
 *   <li>an unquoted backslash keeps the next character literally (a backslash before a newline
 *       removes both);
 *   <li>{@code ''} and {@code ""} are an empty word.
 * </ul>
 */
public final class ShellWords {
  private ShellWords() {}

  /**
   * The words of {@code line}.
   *
   * @throws InvalidInputException if a quote is not closed or the line ends in a backslash
   */
  public static List<String> split(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean inWord = false;
    int i = 0;
    int n = line.length();
    while (i < n) {
      char c = line.charAt(i);
      switch (c) {
        case ' ', '\t', '\n' -> {
          if (inWord) {
            words.add(word.toString());
            word.setLength(0);
            inWord = false;
          }
          i++;
        }
        case '\'' -> {
          int end = line.indexOf('\'', i + 1);
          if (end < 0) {
            throw unclosed(line, "'", i);
          }
          word.append(line, i + 1, end);
          inWord = true;
          i = end + 1;
        }
        case '"' -> {
          i = doubleQuoted(line, i, word);
          inWord = true;
        }
        case '\\' -> {
          if (i + 1 >= n) {
            throw new InvalidInputException(
                "invalid command line: it ends in a backslash: " + TerminalSafe.sanitizeLine(line));
          }
          if (line.charAt(i + 1) != '\n') {
            word.append(line.charAt(i + 1));
            inWord = true;
          }
          i += 2;
        }
        default -> {
          word.append(c);
          inWord = true;
          i++;
        }
      }
    }
    if (inWord) {
      words.add(word.toString());
    }
    return List.copyOf(words);
  }

  // Returns the index after the closing quote.
  private static int doubleQuoted(String line, int open, StringBuilder word) {
    int i = open + 1;
    while (i < line.length()) {
      char c = line.charAt(i);
      if (c == '"') {
        return i + 1;
      }
      if (c == '\\' && i + 1 < line.length()) {
        char next = line.charAt(i + 1);
        if (next == '"' || next == '\\' || next == '$' || next == '`') {
          word.append(next);
          i += 2;
          continue;
        }
        if (next == '\n') {
          i += 2;
          continue;
        }
      }
      word.append(c);
      i++;
    }
    throw unclosed(line, "\"", open);
  }

  private static InvalidInputException unclosed(String line, String quote, int at) {
    return new InvalidInputException(
        "invalid command line: the "
            + quote
            + " at character "
            + (at + 1)
            + " is not closed: "
            + TerminalSafe.sanitizeLine(line));
  }

  /**
   * {@code words} as one line that {@link #split} turns back into exactly these words, quoting only
   * where needed, for showing a command the user can copy.
   */
  public static String join(List<String> words) {
    StringBuilder s = new StringBuilder();
    for (String w : words) {
      if (!s.isEmpty()) {
        s.append(' ');
      }
      s.append(quote(w));
    }
    return s.toString();
  }

  /** One word, quoted for {@link #split} (and for a POSIX shell) where it needs to be. */
  public static String quote(String word) {
    if (!word.isEmpty() && word.chars().allMatch(ShellWords::plain)) {
      return word;
    }
    return "'" + word.replace("'", "'\\''") + "'";
  }

  private static boolean plain(int c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || "@%+=:,./_-".indexOf(c) >= 0;
  }
}
