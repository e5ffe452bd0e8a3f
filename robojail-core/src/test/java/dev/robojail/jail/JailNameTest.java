package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JailNameTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "a",
        "0",
        "fix-bug_42",
        "A-b-C",
        "x123456789012345678901234567890123456789012345678901234567890123"
      })
  void acceptsValidNames(String name) {
    assertEquals(name, JailName.of(name).value());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "-a",
        "_a",
        "a b",
        "a/b",
        "a.b",
        "..",
        "é",
        "a\u001b[2J",
        "a\nb",
        "x1234567890123456789012345678901234567890123456789012345678901234"
      })
  void rejectsInvalidNamesWithOneLine(String name) {
    InvalidJailNameException e =
        assertThrows(InvalidJailNameException.class, () -> JailName.of(name));
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    assertFalse(e.getMessage().contains("\u001b"), e.getMessage());
  }

  @Test
  void messagesSayWhatIsWrong() {
    assertEquals(
        "jail name \"-x\" must start with a letter or digit", JailName.problem("-x").orElseThrow());
    assertEquals(
        "jail name \"a b\" contains ' '; use only letters, digits, '-' and '_'",
        JailName.problem("a b").orElseThrow());
    assertTrue(JailName.problem("a".repeat(65)).orElseThrow().contains("too long: 65 characters"));
    assertEquals("a jail name must not be empty", JailName.problem("").orElseThrow());
  }
}
