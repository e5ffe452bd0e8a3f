package dev.robojail.ffm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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

/**
 * What a setup program is written into: segments aligned, zeroed and never handed out twice ({@link
 * PageAllocator}), staged bytes where their addresses say once flushed ({@link StagedPages}).
 */
class ProgramPagesTest {
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

  @Test
  void everyStagedPieceIsInItsPlaceAfterTheFlush() {
    Random r = new Random(20261202);
    try (Arena arena = Arena.ofConfined()) {
      StagedPages staged = new StagedPages(arena);
      List<byte[]> pieces = new ArrayList<>();
      List<Long> addresses = new ArrayList<>();
      List<Integer> zeros = new ArrayList<>();
      // across several chunks, with pieces larger than a chunk among them
      for (int i = 0; i < 2000; i++) {
        byte[] data = new byte[i % 400 == 3 ? 70_000 + r.nextInt(5000) : r.nextInt(300)];
        for (int j = 0; j < data.length; j++) {
          data[j] = (byte) (1 + r.nextInt(255));
        }
        int alignment = 1 << r.nextInt(4);
        int zero = r.nextInt(3);
        long address = staged.put(data, zero, alignment);
        assertEquals(0, address % alignment, "aligned to " + alignment);
        pieces.add(data);
        addresses.add(address);
        zeros.add(zero);
      }
      staged.flush();
      for (int i = 0; i < pieces.size(); i++) {
        byte[] data = pieces.get(i);
        int length = data.length + zeros.get(i);
        byte[] found = new byte[length];
        MemorySegment.copy(
            Native.at(addresses.get(i), length), ValueLayout.JAVA_BYTE, 0, found, 0, length);
        byte[] expected = java.util.Arrays.copyOf(data, length);
        assertArrayEquals(expected, found, "piece " + i);
      }
      List<long[]> spans = new ArrayList<>();
      for (int i = 0; i < pieces.size(); i++) {
        spans.add(new long[] {addresses.get(i), pieces.get(i).length + zeros.get(i)});
      }
      spans.sort((a, b) -> Long.compare(a[0], b[0]));
      for (int i = 1; i < spans.size(); i++) {
        assertTrue(spans.get(i - 1)[0] + spans.get(i - 1)[1] <= spans.get(i)[0], "overlap");
      }
    }
  }

  @Test
  void aStringIsItsUtf8BytesAndANul() {
    try (Arena arena = Arena.ofConfined()) {
      StagedPages staged = new StagedPages(arena);
      // a longer string first, so that the NUL of the next is a byte no one wrote
      long first = staged.string("/usr/lib/überlang");
      long second = staged.string("é");
      staged.flush();
      assertEquals("/usr/lib/überlang", Native.at(first, 64).getString(0));
      assertEquals("é", Native.at(second, 8).getString(0));
      assertEquals(0, Native.at(second, 3).get(ValueLayout.JAVA_BYTE, 2));
    }
  }

  @Test
  void stagingRefusesBadAlignments() {
    try (Arena arena = Arena.ofConfined()) {
      StagedPages staged = new StagedPages(arena);
      assertThrows(IllegalArgumentException.class, () -> staged.put(new byte[1], 0, 3));
      assertThrows(IllegalArgumentException.class, () -> staged.put(new byte[1], 0, 8192));
      assertThrows(IllegalArgumentException.class, () -> staged.put(new byte[1], -1, 8));
    }
  }
}
