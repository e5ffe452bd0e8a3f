package dev.robojail.ffm;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * {@code struct rlimit64} for {@code prlimit64(2)}. {@link #RLIM_INFINITY} reads as -1.
 *
 * @param soft {@code rlim_cur}
 * @param hard {@code rlim_max}
 */
public record Rlimit(long soft, long hard) {
  public static final int RLIMIT_CORE = 4;
  public static final int RLIMIT_NPROC = 6;
  public static final int RLIMIT_NOFILE = 7;

  /** No limit. */
  public static final long RLIM_INFINITY = -1L;

  /** The kernel's layout. */
  public static final StructLayout LAYOUT =
      MemoryLayout.structLayout(JAVA_LONG.withName("rlim_cur"), JAVA_LONG.withName("rlim_max"));

  /** The struct as the kernel reads it. */
  public static byte[] bytes(long soft, long hard) {
    return Structs.bytes(
        LAYOUT.byteSize(),
        s -> {
          s.putLong((int) Structs.offset(LAYOUT, "rlim_cur"), soft);
          s.putLong((int) Structs.offset(LAYOUT, "rlim_max"), hard);
        });
  }

  static Rlimit read(MemorySegment s) {
    return new Rlimit(
        Structs.longAt(s, Structs.offset(LAYOUT, "rlim_cur")),
        Structs.longAt(s, Structs.offset(LAYOUT, "rlim_max")));
  }
}
