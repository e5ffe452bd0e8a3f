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
      String s = strings.get(i);
      if (s.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("a NUL byte cannot be passed to the kernel: " + s);
      }
      pointers[i] = Structs.cString(memory, s).address();
    }
    return Structs.longs(memory, pointers);
  }
}
