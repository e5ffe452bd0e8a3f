package dev.robojail.ffm;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

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

  static final VarHandle FLAGS = field("flags");
  static final VarHandle PIDFD = field("pidfd");
  static final VarHandle EXIT_SIGNAL = field("exit_signal");
  static final VarHandle STACK = field("stack");
  static final VarHandle STACK_SIZE = field("stack_size");

  private CloneArgs() {}

  private static VarHandle field(String name) {
    return LAYOUT.varHandle(MemoryLayout.PathElement.groupElement(name));
  }
}
