package dev.robojail.ffm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * {@code struct linux_dirent64}, the records {@link Syscalls#getdents64} fills a buffer with: a
 * fixed head, then the entry's name, NUL-terminated, then padding up to {@code d_reclen}. They are
 * read by offset, from a copy of the buffer in one array, so that listing a directory makes no
 * object per entry; a name can be handed back to the kernel ({@link Syscalls#fstatat}, {@link
 * Syscalls#openat(int, java.lang.foreign.MemorySegment, int)}) as a slice of the buffer itself,
 * without a copy.
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
  public static final int NAME = 19;

  // Offsets as constants, which LayoutTest holds to the layout: a layout path's first use costs a
  // command's JVM milliseconds of cold code, and the fields are read once per entry.
  static final int RECLEN = 16;
  static final int TYPE = 18;

  private Dirent64() {}

  /**
   * The length of the record at {@code at} in {@code records} (a copy of what the kernel filled,
   * read as plain bytes, which is cheaper than a memory segment access per field): where the next
   * one starts.
   */
  public static int reclen(byte[] records, int at) {
    return (records[at + RECLEN] & 0xff) | (records[at + RECLEN + 1] & 0xff) << 8;
  }

  /** The record's {@code d_type}: one of the {@code DT_} values. */
  public static int type(byte[] records, int at) {
    return records[at + TYPE] & 0xff;
  }

  /** The length in bytes of the record's name, without its NUL. */
  public static int nameLength(byte[] records, int at) {
    return nameLength(records, at, at + reclen(records, at));
  }

  // Within the record, which ends at end, and the array.
  static int nameLength(byte[] records, int at, int end) {
    int name = at + NAME;
    end = Math.min(end, records.length);
    int i = name;
    while (i < end && records[i] != 0) {
      i++;
    }
    if (i == end) {
      throw new IllegalArgumentException("a directory entry's name has no NUL within its record");
    }
    return i - name;
  }

  /** Whether the record is {@code .} or {@code ..}, which every listing has. */
  public static boolean isDotOrDotDot(byte[] records, int at) {
    int name = at + NAME;
    return records[name] == '.'
        && (records[name + 1] == 0 || (records[name + 1] == '.' && records[name + 2] == 0));
  }
}
