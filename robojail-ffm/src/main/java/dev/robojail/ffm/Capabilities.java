package dev.robojail.ffm;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * The structs of {@code capget(2)} and {@code capset(2)}: {@code struct __user_cap_header_struct}
 * and, for {@link #VERSION_3}, two {@code struct __user_cap_data_struct} (capabilities 0-31, then
 * 32-63).
 */
public final class Capabilities {
  /** {@code _LINUX_CAPABILITY_VERSION_3}: 64-bit sets in two data structs. */
  public static final int VERSION_3 = 0x20080522;

  /** How many data structs {@link #VERSION_3} reads and writes. */
  public static final int VERSION_3_DATA_COUNT = 2;

  /** {@code struct __user_cap_header_struct}. */
  public static final StructLayout HEADER =
      MemoryLayout.structLayout(JAVA_INT.withName("version"), JAVA_INT.withName("pid"));

  /** {@code struct __user_cap_data_struct}. */
  public static final StructLayout DATA =
      MemoryLayout.structLayout(
          JAVA_INT.withName("effective"),
          JAVA_INT.withName("permitted"),
          JAVA_INT.withName("inheritable"));

  private Capabilities() {}

  /** The header for {@code version} and {@code pid} (0: the calling thread). */
  public static byte[] header(int version, int pid) {
    return Structs.bytes(
        HEADER.byteSize(),
        s -> {
          s.putInt((int) Structs.offset(HEADER, "version"), version);
          s.putInt((int) Structs.offset(HEADER, "pid"), pid);
        });
  }

  /** {@link #VERSION_3}'s data with every set empty: what {@code capset} needs to drop them all. */
  public static byte[] emptyData() {
    return new byte[(int) DATA.byteSize() * VERSION_3_DATA_COUNT];
  }
}
