package dev.robojail.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/** Helpers shared by the struct classes: field offsets by name and bytes from a filled struct. */
final class Structs {
  private Structs() {}

  static long offset(StructLayout layout, String field) {
    return layout.byteOffset(MemoryLayout.PathElement.groupElement(field));
  }

  /** A zeroed struct of {@code size} bytes (at least the layout's), filled by {@code fill}. */
  static byte[] bytes(long size, java.util.function.Consumer<MemorySegment> fill) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment s = a.allocate(size, 8);
      fill.accept(s);
      return s.toArray(ValueLayout.JAVA_BYTE);
    }
  }
}
