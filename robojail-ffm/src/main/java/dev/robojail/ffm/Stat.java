package dev.robojail.ffm;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * {@code struct stat} as x86-64's {@code fstat(2)} and {@code newfstatat(2)} fill it (144 bytes),
 * with the fields robojail reads named and the rest left as padding, and the file type bits of
 * {@code st_mode}.
 */
public final class Stat {
  public static final int S_IFMT = 0170000;
  public static final int S_IFSOCK = 0140000;
  public static final int S_IFLNK = 0120000;
  public static final int S_IFREG = 0100000;
  public static final int S_IFBLK = 0060000;
  public static final int S_IFDIR = 0040000;
  public static final int S_IFCHR = 0020000;
  public static final int S_IFIFO = 0010000;

  /** The kernel's layout ({@code arch/x86/include/uapi/asm/stat.h}). */
  public static final StructLayout LAYOUT =
      MemoryLayout.structLayout(
          JAVA_LONG.withName("st_dev"),
          JAVA_LONG.withName("st_ino"),
          JAVA_LONG.withName("st_nlink"),
          JAVA_INT.withName("st_mode"),
          JAVA_INT.withName("st_uid"),
          JAVA_INT.withName("st_gid"),
          MemoryLayout.paddingLayout(108));

  // A constant, which LayoutTest holds to the layout: a layout path's first use is milliseconds of
  // cold code.
  static final long MODE = 24;

  private Stat() {}

  /** {@code st_mode}: the file type and permission bits. */
  public static int mode(MemorySegment stat) {
    return Structs.intAt(stat, MODE);
  }
}
