package dev.robojail.ffm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ErrnoTest {
  @ParameterizedTest
  @CsvSource({
    "1, EPERM, Operation not permitted",
    "2, ENOENT, No such file or directory",
    "13, EACCES, Permission denied",
    "17, EEXIST, File exists",
    "22, EINVAL, Invalid argument",
    "30, EROFS, Read-only file system",
    "35, EDEADLK, Resource deadlock avoided",
    "95, EOPNOTSUPP, Operation not supported",
  })
  void namesAndMessagesAreTheKernels(int value, String name, String message) {
    assertEquals(name, Errno.name(value));
    assertEquals(message, Errno.message(value));
    assertEquals(value, Errno.valueOf(name));
  }

  @ParameterizedTest
  @CsvSource({"0", "-1", "41", "58", "4000"})
  void unknownValuesAreShownAsNumbers(int value) {
    assertEquals("errno " + value, Errno.name(value));
    assertEquals("Unknown error " + value, Errno.message(value));
  }

  @org.junit.jupiter.api.Test
  void constantsAgreeWithTheTable() {
    for (var f : Errno.class.getFields()) {
      try {
        assertEquals(f.getName(), Errno.name(f.getInt(null)));
      } catch (IllegalAccessException e) {
        throw new AssertionError(e);
      }
    }
  }
}
