package dev.robojail.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;

/**
 * Native memory cut from fresh anonymous pages, unmapped when the arena closes: what a setup
 * program is written into. {@code Arena.allocate} zeroes every segment in a Java loop and makes a
 * {@code malloc} call for each (some hundred per program: about 1.5 ms of an interpreted {@code
 * run} on the spawner thread, before its clone); pages the kernel zeroes as they are first touched
 * cost one {@code mmap} per chunk. Memory is never handed out twice, so every segment starts
 * zeroed.
 */
final class PageAllocator implements SegmentAllocator {
  // Enough for the program of a run with room to spare; a larger request gets pages of its own.
  private static final long CHUNK = 64 * 1024;
  private static final long PAGE = 4096;

  private final Arena arena;
  private MemorySegment chunk;
  private long used;

  PageAllocator(Arena arena) {
    this.arena = arena;
  }

  @Override
  public MemorySegment allocate(long byteSize, long byteAlignment) {
    if (byteSize < 0 || byteAlignment <= 0 || (byteAlignment & (byteAlignment - 1)) != 0) {
      throw new IllegalArgumentException(
          "cannot allocate " + byteSize + " bytes aligned to " + byteAlignment);
    }
    if (byteAlignment > PAGE) {
      throw new IllegalArgumentException("pages align to at most " + PAGE + " bytes");
    }
    // a chunk starts on a page, so an offset aligned within it is an aligned address
    long at = chunk == null ? 0 : (used + byteAlignment - 1) & -byteAlignment;
    if (chunk == null || at + byteSize > chunk.byteSize()) {
      long size = Math.max(CHUNK, (byteSize + PAGE - 1) & -PAGE);
      chunk = Native.pages(arena, size);
      at = 0;
    }
    used = at + byteSize;
    return chunk.asSlice(at, byteSize);
  }
}
