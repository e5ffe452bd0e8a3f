package dev.robojail.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Helpers shared by the struct classes: field offsets by name, bytes from a filled struct, and
 * native copies of Java arrays.
 *
 * <p>The copies are what a child's setup program is written with: {@code MemorySegment.copy} from
 * an array moves the bytes with no {@code VarHandle}, while each {@code set} or {@code get} of a
 * kind not used before in the JVM spins method handles and classes at run time, which no AOT cache
 * keeps (about 9 ms of CPU on the spawner thread for every {@code run}, measured).
 */
final class Structs {
  private Structs() {}

  /** {@code values} as consecutive native longs from {@code memory}, 16-byte aligned. */
  static MemorySegment longs(SegmentAllocator memory, long... values) {
    MemorySegment s = memory.allocate(8L * Math.max(1, values.length), 16);
    MemorySegment.copy(values, 0, s, ValueLayout.JAVA_LONG, 0, values.length);
    return s;
  }

  /** A copy of {@code data} from {@code memory}. */
  static MemorySegment copy(SegmentAllocator memory, byte[] data, long alignment) {
    MemorySegment s = memory.allocate(Math.max(1, data.length), alignment);
    MemorySegment.copy(data, 0, s, ValueLayout.JAVA_BYTE, 0, data.length);
    return s;
  }

  /**
   * {@code s} as a NUL-terminated UTF-8 string from {@code memory}, as {@code allocateFrom} makes.
   */
  static MemorySegment cString(SegmentAllocator memory, String s) {
    byte[] utf8 = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    // the NUL is copied with the string, so memory that is not zeroed serves as well
    byte[] nul = java.util.Arrays.copyOf(utf8, utf8.length + 1);
    MemorySegment c = memory.allocate(nul.length, 1);
    MemorySegment.copy(nul, 0, c, ValueLayout.JAVA_BYTE, 0, nul.length);
    return c;
  }

  /** The native int at {@code offset} of {@code s}, read by a copy. */
  static int intAt(MemorySegment s, long offset) {
    int[] v = new int[1];
    MemorySegment.copy(s, ValueLayout.JAVA_INT, offset, v, 0, 1);
    return v[0];
  }

  /** The native short at {@code offset} of {@code s}, read by a copy. */
  static short shortAt(MemorySegment s, long offset) {
    short[] v = new short[1];
    MemorySegment.copy(s, ValueLayout.JAVA_SHORT, offset, v, 0, 1);
    return v[0];
  }

  /** The byte at {@code offset} of {@code s}, read by a copy. */
  static byte byteAt(MemorySegment s, long offset) {
    byte[] v = new byte[1];
    MemorySegment.copy(s, ValueLayout.JAVA_BYTE, offset, v, 0, 1);
    return v[0];
  }

  /** {@code value} as one native int in {@code arena}. */
  static MemorySegment int1(Arena arena, int value) {
    MemorySegment s = arena.allocate(ValueLayout.JAVA_INT);
    MemorySegment.copy(new int[] {value}, 0, s, ValueLayout.JAVA_INT, 0, 1);
    return s;
  }

  /** The native long at {@code offset} of {@code s}, read by a copy. */
  static long longAt(MemorySegment s, long offset) {
    long[] v = new long[1];
    MemorySegment.copy(s, ValueLayout.JAVA_LONG, offset, v, 0, 1);
    return v[0];
  }

  /**
   * The offset of the top-level member {@code field} of {@code layout}, by adding up the sizes of
   * the members before it (a struct layout's members lie one after the other, its padding made
   * explicit): {@code byteOffset} would initialise {@code LayoutPath}, whose method handles cost a
   * command's JVM about 3.6 ms at its first use. {@code LayoutTest} holds this to {@code
   * byteOffset} for every member of every struct.
   */
  static long offset(StructLayout layout, String field) {
    long at = 0;
    for (MemoryLayout m : layout.memberLayouts()) {
      if (m.name().isPresent() && m.name().get().equals(field)) {
        return at;
      }
      at += m.byteSize();
    }
    throw new IllegalArgumentException("no member " + field + " in " + layout);
  }

  /**
   * A zeroed struct of {@code size} bytes (at least the layout's), filled by {@code fill} through a
   * buffer in the machine's byte order: a heap buffer's puts are plain stores, where a segment's
   * {@code set} spins method handles at its first use in a JVM.
   */
  static byte[] bytes(long size, java.util.function.Consumer<ByteBuffer> fill) {
    byte[] bytes = new byte[Math.toIntExact(size)];
    fill.accept(ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder()));
    return bytes;
  }
}
