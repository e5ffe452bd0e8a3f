package dev.robojail.ffm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** What a setup program is written into: aligned, zeroed, never handed out twice. */
class PageAllocatorTest {
  @Test
  void segmentsAreAlignedZeroedAndApart() {
    Random r = new Random(20261202);
    try (Arena arena = Arena.ofConfined()) {
      PageAllocator memory = new PageAllocator(arena);
      List<MemorySegment> given = new ArrayList<>();
      // enough to cross several chunks, with requests of every size up to one larger than a chunk
      for (int i = 0; i < 3000; i++) {
        long size = i % 500 == 7 ? 100_000 + r.nextInt(5000) : r.nextInt(200);
        long alignment = 1L << r.nextInt(5);
        MemorySegment s = memory.allocate(size, alignment);
        assertEquals(size, s.byteSize());
        assertEquals(0, s.address() % alignment, "aligned to " + alignment);
        byte[] bytes = new byte[(int) size];
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, 0, bytes, 0, bytes.length);
        assertTrue(allZero(bytes), "a fresh segment is zeroed");
        // marks it, so that a segment handed out twice shows as one that is not zeroed
        Arrays.fill(bytes, (byte) 0x5a);
        MemorySegment.copy(bytes, 0, s, ValueLayout.JAVA_BYTE, 0, bytes.length);
        given.add(s);
      }
      given.sort((a, b) -> Long.compare(a.address(), b.address()));
      for (int i = 1; i < given.size(); i++) {
        MemorySegment before = given.get(i - 1);
        assertTrue(before.address() + before.byteSize() <= given.get(i).address(), "overlap");
      }
    }
  }

  @Test
  void badAlignmentsAreRefused() {
    try (Arena arena = Arena.ofConfined()) {
      PageAllocator memory = new PageAllocator(arena);
      assertThrows(IllegalArgumentException.class, () -> memory.allocate(8, 3));
      assertThrows(IllegalArgumentException.class, () -> memory.allocate(8, 0));
      assertThrows(IllegalArgumentException.class, () -> memory.allocate(-1, 8));
      assertThrows(IllegalArgumentException.class, () -> memory.allocate(8, 8192));
    }
  }

  @Test
  void thePagesGoWithTheArena() {
    MemorySegment s;
    try (Arena arena = Arena.ofConfined()) {
      s = new PageAllocator(arena).allocate(16, 8);
    }
    MemorySegment gone = s;
    assertThrows(IllegalStateException.class, () -> gone.get(ValueLayout.JAVA_BYTE, 0));
  }

  private static boolean allZero(byte[] bytes) {
    for (byte b : bytes) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }
}
