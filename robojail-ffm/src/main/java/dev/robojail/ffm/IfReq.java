package dev.robojail.ffm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.nio.charset.StandardCharsets;

/**
 * {@code struct ifreq} for the interface ioctls, as far as robojail uses it: the name and the flags
 * of the 24-byte union that follows it (40 bytes on x86-64).
 */
public final class IfReq {
  /** {@code IFNAMSIZ}, the name's size including its NUL. */
  public static final int NAME_SIZE = 16;

  public static final short IFF_UP = 0x1;
  public static final int SIOCGIFFLAGS = 0x8913;
  public static final int SIOCSIFFLAGS = 0x8914;

  /** The kernel's layout. */
  public static final StructLayout LAYOUT =
      MemoryLayout.structLayout(
          MemoryLayout.sequenceLayout(NAME_SIZE, JAVA_BYTE).withName("ifr_name"),
          JAVA_SHORT.withName("ifr_flags"),
          MemoryLayout.paddingLayout(22));

  private IfReq() {}

  /** The struct for {@code SIOCSIFFLAGS}: interface {@code name} with {@code flags}. */
  public static byte[] flags(String name, short flags) {
    byte[] n = name.getBytes(StandardCharsets.US_ASCII);
    if (n.length >= NAME_SIZE || name.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("not an interface name: " + name);
    }
    return Structs.bytes(
        LAYOUT.byteSize(),
        s -> {
          s.put((int) Structs.offset(LAYOUT, "ifr_name"), n);
          s.putShort((int) Structs.offset(LAYOUT, "ifr_flags"), flags);
        });
  }
}
