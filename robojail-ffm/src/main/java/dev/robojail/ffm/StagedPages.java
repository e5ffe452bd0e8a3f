package dev.robojail.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * Bytes bound for fresh native pages (unmapped when the arena closes), gathered in a Java array per
 * chunk of pages and copied into it in one piece by {@link #flush}: what a setup program's strings
 * and structs are written with. Their addresses are known at once, since the pages are mapped
 * first. Each {@code MemorySegment.copy} runs some fifteen interpreted frames of checks, which for
 * a program's few hundred strings and structs cost an interpreted {@code run} about a millisecond
 * on the spawner thread before its clone; an array copy is one native call. Nothing is handed out
 * twice, so every byte not written is zero, and a string's NUL needs no writing.
 */
final class StagedPages {
  private static final int CHUNK = 64 * 1024;
  private static final long PAGE = 4096;

  private final Arena arena;
  private MemorySegment chunk;
  private byte[] staged;
  private int used;

  StagedPages(Arena arena) {
    this.arena = arena;
  }

  /**
   * The address that {@code data} will have in native memory once flushed, aligned to {@code
   * alignment} (at most a page), followed by {@code zeros} zero bytes.
   */
  long put(byte[] data, int zeros, int alignment) {
    if (alignment <= 0 || (alignment & (alignment - 1)) != 0 || alignment > PAGE || zeros < 0) {
      throw new IllegalArgumentException("cannot stage aligned to " + alignment);
    }
    int size = Math.max(1, data.length + zeros);
    int at = chunk == null ? 0 : (used + alignment - 1) & -alignment;
    if (chunk == null || (long) at + size > staged.length) {
      flush();
      int length = (int) Math.max(CHUNK, (size + PAGE - 1) & -PAGE);
      chunk = Native.pages(arena, length);
      staged = new byte[length];
      at = 0;
    }
    System.arraycopy(data, 0, staged, at, data.length);
    used = at + size;
    return chunk.address() + at;
  }

  /** The address of {@code s} as a NUL-terminated UTF-8 string, once flushed. */
  long string(String s) {
    return put(s.getBytes(StandardCharsets.UTF_8), 1, 1);
  }

  /** Copies what was staged since the last flush into its pages. */
  void flush() {
    if (chunk != null && used > 0) {
      MemorySegment.copy(staged, 0, chunk, ValueLayout.JAVA_BYTE, 0, used);
    }
  }
}
