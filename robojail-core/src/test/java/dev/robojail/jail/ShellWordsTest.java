package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The {@code --entrypoint} tokenizer: quoting as a shell has it, checked against bash itself. */
class ShellWordsTest {
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "claude --verbose|[claude, --verbose]",
        "  a\tb  |[a, b]",
        "agent --prompt 'fix the build'|[agent, --prompt, fix the build]",
        "agent \"say \\\"hi\\\"\"|[agent, say \"hi\"]",
        "a\\ b c|[a b, c]",
        "'' x \"\"|[, x, ]",
        "'it'\\''s'|[it's]",
        "\"\\$HOME \\a\"|[$HOME \\a]",
        "pre'mid'\"post\"|[premidpost]",
        "'~/x' ~|[~/x, ~]",
      })
  void quotingAsAShellHasIt(String line, String expected) {
    assertEquals(expected, ShellWords.split(line).toString());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {"agent 'open|'", "agent \"open|\"", "agent \\|\\"})
  void anUnclosedQuoteOrATrailingBackslashIsOneClearError(String line, String quote) {
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> ShellWords.split(line));
    assertTrue(e.getMessage().startsWith("invalid command line: "), e.getMessage());
    assertTrue(e.getMessage().contains(quote), e.getMessage());
  }

  /** Any argument vector, quoted by {@link ShellWords#join}, splits back into itself. */
  @ParameterizedTest
  @MethodSource("dev.robojail.jail.TerminalSafeTest#seeds")
  void joinThenSplitIsTheIdentity(long seed) {
    Random r = new Random(seed);
    List<String> words = new ArrayList<>();
    int count = r.nextInt(6);
    for (int i = 0; i < count; i++) {
      words.add(anyWord(r));
    }
    String line = ShellWords.join(words);
    assertEquals(words, ShellWords.split(line), () -> "seed " + seed + ": " + line);
  }

  /** A random quoted line splits into exactly the words bash makes of it. */
  @ParameterizedTest
  @MethodSource("dev.robojail.jail.TerminalSafeTest#seeds")
  void splitsLikeBash(long seed) throws IOException, InterruptedException {
    Path bash = Path.of("/bin/bash");
    Assumptions.assumeTrue(Files.isExecutable(bash), "no /bin/bash");
    Random r = new Random(seed);
    String line = quotedLine(r);
    Process p =
        new ProcessBuilder(bash.toString(), "--norc", "-c", "printf '%s\\0' X " + line)
            .redirectErrorStream(true)
            .start();
    byte[] out = p.getInputStream().readAllBytes();
    assertEquals(0, p.waitFor(), () -> new String(out, StandardCharsets.UTF_8));
    String text = new String(out, StandardCharsets.UTF_8);
    List<String> all = Arrays.asList(text.substring(0, text.length() - 1).split("\0", -1));
    List<String> fromBash = all.subList(1, all.size());
    assertEquals(fromBash, ShellWords.split(line), () -> "seed " + seed + ": " + line);
  }

  private static final String PLAIN = "abcXYZ019_./-=:,@%+";
  private static final String ASCII = "ab 'x\"$`\\*?[]{}~#!;&|<>()\t\n";
  private static final String ANY = ASCII + "é€";

  private static String anyWord(Random r) {
    StringBuilder s = new StringBuilder();
    int n = r.nextInt(8);
    for (int i = 0; i < n; i++) {
      s.append(r.nextBoolean() ? PLAIN.charAt(r.nextInt(PLAIN.length())) : pick(r, ANY));
    }
    return s.toString();
  }

  // Words bash would take literally (no expansions, no operators, no comments), with every kind of
  // quoting, separated by blanks (not newlines: to bash -c an unquoted newline ends the command).
  private static String quotedLine(Random r) {
    StringBuilder s = new StringBuilder();
    int words = r.nextInt(5);
    for (int w = 0; w < words; w++) {
      s.append(r.nextBoolean() ? " " : " \t ");
      int pieces = 1 + r.nextInt(4);
      for (int i = 0; i < pieces; i++) {
        switch (r.nextInt(4)) {
          case 0 -> {
            for (int k = 1 + r.nextInt(3); k > 0; k--) {
              s.append(PLAIN.charAt(r.nextInt(PLAIN.length())));
            }
          }
          case 1 -> s.append('\\').append(pick(r, ASCII.replace("\n", "")));
          case 2 -> s.append('\'').append(withoutAny(r, "'")).append('\'');
          default -> {
            s.append('"');
            for (int k = r.nextInt(5); k > 0; k--) {
              switch (r.nextInt(3)) {
                case 0 -> s.append('\\').append(pick(r, "\"\\$`a\n"));
                default -> s.append(pick(r, ASCII.replaceAll("[\"\\\\$`!]", "")));
              }
            }
            s.append('"');
          }
        }
      }
    }
    return s.toString();
  }

  private static String withoutAny(Random r, String excluded) {
    StringBuilder s = new StringBuilder();
    for (int k = r.nextInt(5); k > 0; k--) {
      char c = pick(r, ASCII);
      if (excluded.indexOf(c) < 0) {
        s.append(c);
      }
    }
    return s.toString();
  }

  private static char pick(Random r, String from) {
    return from.charAt(r.nextInt(from.length()));
  }
}
