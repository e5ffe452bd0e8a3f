package dev.robojail.ffm;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/** {@code struct open_how} for {@code openat2(2)} ({@code OPEN_HOW_SIZE_VER0}, 24 bytes). */
public final class OpenHow {
  /** Refuse to follow {@code /proc/PID/fd}-style magic links. */
  public static final long RESOLVE_NO_MAGICLINKS = 0x02;

  /** Refuse to follow any symbolic link, in any component. */
  public static final long RESOLVE_NO_SYMLINKS = 0x04;

  /** The kernel's layout. */
  public static final StructLayout LAYOUT =
      MemoryLayout.structLayout(
          JAVA_LONG.withName("flags"), JAVA_LONG.withName("mode"), JAVA_LONG.withName("resolve"));

  private OpenHow() {}

  /**
   * The struct as the kernel reads it, with mode 0.
   *
   * @param flags {@code O_*} flags
   * @param resolve {@code RESOLVE_*} flags
   */
  public static byte[] bytes(long flags, long resolve) {
    return Structs.bytes(
        LAYOUT.byteSize(),
        s -> {
          s.putLong((int) Structs.offset(LAYOUT, "flags"), flags);
          s.putLong((int) Structs.offset(LAYOUT, "resolve"), resolve);
        });
  }
}
