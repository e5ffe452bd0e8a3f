package dev.robojail.ffm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.util.List;

/** NUL-terminated strings and NULL-terminated arrays of them, as execve wants them. */
public final class CStrings {
  private CStrings() {}

  /** A {@code char *[]} of the strings, ending with NULL, allocated from {@code memory}. */
  public static MemorySegment array(SegmentAllocator memory, List<String> strings) {
    // the last stays 0: the NULL that ends the array
    long[] pointers = new long[strings.size() + 1];
    for (int i = 0; i < strings.size(); i++) {
      pointers[i] = Structs.cString(memory, withoutNul(strings.get(i))).address();
    }
    return Structs.longs(memory, pointers);
  }

  /** {@code s}, which must hold no NUL byte: the kernel would read it as the end. */
  static String withoutNul(String s) {
    if (s.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("a NUL byte cannot be passed to the kernel: " + s);
    }
    return s;
  }
}
