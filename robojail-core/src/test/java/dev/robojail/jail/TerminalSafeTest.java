package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class TerminalSafeTest {
  @Test
  void plainTextIsReturnedAsIs() {
    String text = "hello\n\tworld ✓ é\n";
    assertSame(text, TerminalSafe.sanitize(text));
  }

  @Test
  void escapeSequencesBecomeVisible() {
    assertEquals("^[]0;pwned^G", TerminalSafe.sanitize("\u001b]0;pwned\u0007"));
    assertEquals("^[[2J^M^?", TerminalSafe.sanitize("\u001b[2J\r\u007f"));
    assertEquals("\\x9b31m\\x85", TerminalSafe.sanitize("\u009b31m\u0085"));
    assertEquals("a\\u202eb", TerminalSafe.sanitize("a\u202eb"));
  }

  @Test
  void sanitizeLineAlsoEscapesNewlinesAndTabs() {
    assertEquals("a\\nb\\tc^[", TerminalSafe.sanitizeLine("a\nb\tc\u001b"));
  }

  static LongStream seeds() {
    return LongStream.range(0, 200);
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void noControlCharacterSurvives(long seed) {
    Random random = new Random(seed);
    byte[] bytes = new byte[random.nextInt(512)];
    random.nextBytes(bytes);
    // Latin-1 maps every byte to the same code point, so C1 bytes arrive as C1 characters;
    // UTF-8 is what git output is decoded as.
    for (String text :
        new String[] {
          new String(bytes, StandardCharsets.ISO_8859_1), new String(bytes, StandardCharsets.UTF_8)
        }) {
      assertSafe(TerminalSafe.sanitize(text), true);
      assertSafe(TerminalSafe.sanitizeLine(text), false);
      byte[] utf8 = TerminalSafe.sanitize(text).getBytes(StandardCharsets.UTF_8);
      for (byte b : utf8) {
        int u = b & 0xff;
        assertTrue(u >= 0x20 && u != 0x7f || u == '\n' || u == '\t', "byte " + u);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void printableTextIsUnchanged(long seed) {
    Random random = new Random(seed);
    StringBuilder text = new StringBuilder();
    for (int i = random.nextInt(200); i > 0; i--) {
      char c = (char) (0x20 + random.nextInt(0x7f - 0x20));
      text.append(random.nextInt(10) == 0 ? '\n' : c);
    }
    assertEquals(text.toString(), TerminalSafe.sanitize(text.toString()));
  }

  private static void assertSafe(String out, boolean keepsNewlines) {
    for (int i = 0; i < out.length(); i++) {
      char c = out.charAt(i);
      boolean allowedControl = keepsNewlines && (c == '\n' || c == '\t');
      assertTrue(c >= 0x20 || allowedControl, () -> "control " + (int) c + " in " + out);
      assertTrue(c != 0x7f && (c < 0x80 || c > 0x9f), () -> "DEL or C1 " + (int) c);
    }
  }
}
