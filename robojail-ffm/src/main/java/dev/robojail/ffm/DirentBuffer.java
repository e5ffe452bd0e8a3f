package dev.robojail.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A buffer that a {@link SyscallBatch}'s {@code getdents64} fills with {@link Dirent64} records,
 * and a copy of them on the heap, made once per fill, that they are read from by offset: no object,
 * and no access to native memory, per entry. A record's name can be handed back to the kernel in a
 * later batch ({@link SyscallBatch#openat(int, DirentBuffer, int, int)}, {@link
 * SyscallBatch#fstatat(int, DirentBuffer, int, int)}) where the kernel put it, never in the batch
 * that fills the buffer again.
 */
public final class DirentBuffer {
  /**
   * The smallest useful size: one record with the longest name (255 bytes), its head and NUL,
   * rounded to 8. A smaller buffer than the next record makes {@code getdents64} fail with EINVAL.
   */
  public static final int MIN_SIZE = 280;

  final MemorySegment records;
  private final byte[] copy;
  // The copy as a segment: a copy between two segments skips the array copy's checks.
  private final MemorySegment copyOnHeap;
  private int length;
  // A bit per 8-byte offset of the copy: set where a record starts, found by following d_reclen
  // from 0 on each fill, so that an offset inside a record (whose bytes may well parse as one, a
  // name being any bytes) is refused.
  private final long[] starts;
  // How many fills it has had: a call that names one of its records remembers it, and its batch
  // refuses to run once another batch has filled the buffer again.
  int fills;
  // The batch that will fill it, and the last batch that names one of its records: a batch may
  // not do both, or a name would be read while the kernel rewrites it.
  SyscallBatch filling;
  SyscallBatch naming;

  /** A buffer of {@code size} bytes, at least {@link #MIN_SIZE}, in {@code arena}. */
  public DirentBuffer(Arena arena, int size) {
    this(arena.allocate(checked(size), 8));
  }

  /**
   * A buffer over {@code records}, native memory of at least {@link #MIN_SIZE} bytes that nothing
   * else writes, such as a slice of {@link #pages}.
   */
  public DirentBuffer(MemorySegment records) {
    if (!records.isNative() || records.address() % 8 != 0) {
      throw new IllegalArgumentException("a getdents64 buffer is native memory aligned to 8");
    }
    this.records = records;
    this.copy = new byte[checked(records.byteSize())];
    this.copyOnHeap = MemorySegment.ofArray(copy);
    this.starts = new long[(copy.length / 8 + 63) / 64];
  }

  /**
   * {@code size} bytes of fresh pages for many buffers, unmapped when {@code arena} closes: pages
   * the kernel zeroes as they are first touched, so a buffer that a walk never fills costs nothing,
   * where {@code Arena.allocate} zeroes every byte in a Java loop first.
   */
  public static MemorySegment pages(Arena arena, long size) {
    return Native.pages(arena, size);
  }

  private static int checked(long size) {
    if (size < MIN_SIZE || size > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "a getdents64 buffer needs at least " + MIN_SIZE + " bytes, not " + size);
    }
    return (int) size;
  }

  /** How many bytes of records the last fill left; 0 before one, after a failure, at the end. */
  public int length() {
    return length;
  }

  // After the batch that filled it: n bytes, or a failure (n < 0).
  void filled(long n) {
    fills++;
    Arrays.fill(starts, 0);
    length = n > 0 ? (int) Math.min(n, copy.length) : 0;
    if (length > 0) {
      MemorySegment.copy(records, 0, copyOnHeap, 0, length);
    }
    // The records, in order; one of a bad length ends them (next refuses it, and what follows).
    for (int at = 0; at % 8 == 0 && at + Dirent64.NAME < length; ) {
      starts[at >> 9] |= 1L << (at >> 3);
      int next = at + Dirent64.reclen(copy, at);
      if (next <= at + Dirent64.NAME || next > length) {
        break;
      }
      at = next;
    }
  }

  // Refuses an offset where no record of the last fill starts.
  private int record(int at) {
    if (at < 0
        || at + Dirent64.NAME >= length
        || at % 8 != 0
        || (starts[at >> 9] & 1L << (at >> 3)) == 0) {
      throw new IllegalStateException("no record at " + at);
    }
    return at;
  }

  /**
   * Where the record after the one at {@code at} starts; refuses an offset where no record of the
   * last fill starts, and a record that would stall a walk or run past what the kernel filled.
   */
  public int next(int at) {
    record(at);
    int next = at + Dirent64.reclen(copy, at);
    if (next <= at + Dirent64.NAME || next > length) {
      throw new IllegalStateException("getdents64 filled a record of a bad length");
    }
    return next;
  }

  /** The record's {@code d_type}: one of the {@code DT_} values. */
  public int type(int at) {
    return Dirent64.type(copy, record(at));
  }

  /** Whether the record is {@code .} or {@code ..}. */
  public boolean isDotOrDotDot(int at) {
    return Dirent64.isDotOrDotDot(copy, record(at));
  }

  /** The length in bytes of the record's name, without its NUL, which is within the record. */
  public int nameLength(int at) {
    return Dirent64.nameLength(copy, at, next(at));
  }

  /** Copies the record's name (without its NUL) into {@code to} at {@code offset}. */
  public void copyName(int at, byte[] to, int offset) {
    System.arraycopy(copy, at + Dirent64.NAME, to, offset, nameLength(at));
  }

  // The address of the record's name in native memory, checked to end with its NUL there: the
  // heap copy is the native bytes as the kernel left them, and only a batch that fills the buffer
  // changes those, which may not also name them.
  long nameAddress(int at, SyscallBatch batch) {
    if (filling == batch) {
      throw new IllegalStateException("a batch cannot name a record of a buffer it fills");
    }
    nameLength(at);
    naming = batch;
    return records.address() + at + Dirent64.NAME;
  }

  // The name as a call's description spells it.
  String quoted(int at) {
    return Syscalls.quote(copy, at + Dirent64.NAME, nameLength(at));
  }
}
