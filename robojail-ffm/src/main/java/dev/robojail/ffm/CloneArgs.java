package dev.robojail.ffm;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/** {@code struct clone_args} for {@code clone3(2)} (version 2, 88 bytes). */
public final class CloneArgs {
  public static final StructLayout LAYOUT =
      MemoryLayout.structLayout(
          JAVA_LONG.withName("flags"),
          JAVA_LONG.withName("pidfd"),
          JAVA_LONG.withName("child_tid"),
          JAVA_LONG.withName("parent_tid"),
          JAVA_LONG.withName("exit_signal"),
          JAVA_LONG.withName("stack"),
          JAVA_LONG.withName("stack_size"),
          JAVA_LONG.withName("tls"),
          JAVA_LONG.withName("set_tid"),
          JAVA_LONG.withName("set_tid_size"),
          JAVA_LONG.withName("cgroup"));

  private CloneArgs() {}

  /**
   * A {@code struct clone_args} in {@code arena}; every other field 0.
   *
   * @param pidfd where the kernel stores the child's pidfd ({@code CLONE_PIDFD})
   * @param cgroup a descriptor of the cgroup v2 directory the child is born in ({@code
   *     CLONE_INTO_CGROUP}), or 0 without that flag
   */
  static MemorySegment of(
      Arena arena,
      long flags,
      long pidfd,
      long exitSignal,
      long stack,
      long stackSize,
      long cgroup) {
    // all fields are longs: an array of them, copied whole (see Structs)
    long[] f = new long[(int) (LAYOUT.byteSize() / 8)];
    f[index("flags")] = flags;
    f[index("pidfd")] = pidfd;
    f[index("exit_signal")] = exitSignal;
    f[index("stack")] = stack;
    f[index("stack_size")] = stackSize;
    f[index("cgroup")] = cgroup;
    return Structs.longs(arena, f);
  }

  private static int index(String field) {
    return (int) (Structs.offset(LAYOUT, field) / 8);
  }
}
