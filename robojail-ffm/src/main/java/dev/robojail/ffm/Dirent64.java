package dev.robojail.ffm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * {@code struct linux_dirent64}, the records {@link Syscalls#getdents64} fills a buffer with: a
 * fixed head, then the entry's name, NUL-terminated, then padding up to {@code d_reclen}. They are
 * read where they lie, by offset into the buffer, so that listing a directory makes no object per
 * entry, and a name can be handed back to the kernel ({@link Syscalls#fstatat}, {@link
 * Syscalls#openat(int, MemorySegment, int)}) without a copy.
 */
public final class Dirent64 {
  /** The file system did not say; only a stat can tell. */
  public static final int DT_UNKNOWN = 0;

  public static final int DT_FIFO = 1;
  public static final int DT_CHR = 2;
  public static final int DT_DIR = 4;
  public static final int DT_BLK = 6;
  public static final int DT_REG = 8;
  public static final int DT_LNK = 10;
  public static final int DT_SOCK = 12;

  /** The head of a record; {@code d_name} follows it. */
  public static final StructLayout LAYOUT =
      MemoryLayout.structLayout(
          JAVA_LONG.withName("d_ino"),
          JAVA_LONG.withName("d_off"),
          JAVA_SHORT.withName("d_reclen"),
          JAVA_BYTE.withName("d_type"));

  /** Where a record's name starts, from the record's start. */
  public static final long NAME = LAYOUT.byteSize();

  private static final long RECLEN = Structs.offset(LAYOUT, "d_reclen");
  private static final long TYPE = Structs.offset(LAYOUT, "d_type");

  private Dirent64() {}

  /** The length of the record at {@code at}: where the next one starts. */
  public static int reclen(MemorySegment records, long at) {
    return Short.toUnsignedInt(records.get(JAVA_SHORT, at + RECLEN));
  }

  /** The record's {@code d_type}: one of the {@code DT_} values. */
  public static int type(MemorySegment records, long at) {
    return Byte.toUnsignedInt(records.get(JAVA_BYTE, at + TYPE));
  }

  /** The length in bytes of the record's name, without its NUL. */
  public static int nameLength(MemorySegment records, long at) {
    long name = at + NAME;
    long end = at + reclen(records, at);
    long i = name;
    while (i < end && records.get(JAVA_BYTE, i) != 0) {
      i++;
    }
    if (i == end) {
      throw new IllegalArgumentException("a directory entry's name has no NUL within its record");
    }
    return (int) (i - name);
  }

  /** Whether the record is {@code .} or {@code ..}, which every listing has. */
  public static boolean isDotOrDotDot(MemorySegment records, long at) {
    long name = at + NAME;
    if (records.get(JAVA_BYTE, name) != '.') {
      return false;
    }
    byte second = records.get(JAVA_BYTE, name + 1);
    return second == 0 || (second == '.' && records.get(JAVA_BYTE, name + 2) == 0);
  }
}
