package dev.robojail.ffm;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * {@code struct mount_attr} for {@code mount_setattr(2)}: attributes to set and to clear.
 *
 * @param set MOUNT_ATTR_* bits to set
 * @param clear MOUNT_ATTR_* bits to clear
 */
public record MountAttr(long set, long clear) {
  public static final long MOUNT_ATTR_RDONLY = 0x1;
  public static final long MOUNT_ATTR_NOSUID = 0x2;
  public static final long MOUNT_ATTR_NODEV = 0x4;
  public static final long MOUNT_ATTR_NOEXEC = 0x8;

  public static final StructLayout LAYOUT =
      MemoryLayout.structLayout(
          JAVA_LONG.withName("attr_set"),
          JAVA_LONG.withName("attr_clr"),
          JAVA_LONG.withName("propagation"),
          JAVA_LONG.withName("userns_fd"));

  /** The struct as the kernel reads it ({@code MOUNT_ATTR_SIZE_VER0} bytes). */
  public byte[] bytes() {
    return Structs.bytes(
        LAYOUT.byteSize(),
        s -> {
          s.putLong((int) Structs.offset(LAYOUT, "attr_set"), set);
          s.putLong((int) Structs.offset(LAYOUT, "attr_clr"), clear);
        });
  }

  @Override
  public String toString() {
    return "{attr_set=0x" + Long.toHexString(set) + ", attr_clr=0x" + Long.toHexString(clear) + "}";
  }
}
