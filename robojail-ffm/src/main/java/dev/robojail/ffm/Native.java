package dev.robojail.ffm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The one place that uses restricted Foreign Function and Memory methods: linking downcalls and
 * giving raw addresses a size. Everything else in robojail goes through the typed wrappers in
 * {@link Syscalls}.
 */
@SuppressWarnings("restricted")
final class Native {
  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO =
      CAPTURE_LAYOUT.varHandle(PathElement.groupElement("errno"));

  // long syscall(long number, ...): one entry point for every call, including those the C
  // library has no wrapper for (clone3, mount_setattr, landlock_*). errno is captured by the
  // linker right after the call, before the JVM can overwrite it.
  private static final MethodHandle SYSCALL =
      LINKER.downcallHandle(
          LINKER.defaultLookup().find("syscall").orElseThrow(),
          FunctionDescriptor.of(
              JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG,
              JAVA_LONG),
          Linker.Option.captureCallState("errno"),
          Linker.Option.firstVariadicArg(1));

  private Native() {}

  /**
   * Makes a system call. Returns the kernel's result, or {@code -errno} on failure, the way the raw
   * system call interface reports it.
   */
  static long syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
      long r = (long) SYSCALL.invokeExact(capture, nr, a0, a1, a2, a3, a4, a5);
      if (r == -1) {
        return -(int) ERRNO.get(capture, 0L);
      }
      return r;
    } catch (Throwable t) {
      throw new AssertionError("syscall downcall failed", t);
    }
  }

  /** A view of {@code size} bytes of native memory at a raw address. */
  static MemorySegment at(long address, long size) {
    return MemorySegment.ofAddress(address).reinterpret(size);
  }

  /**
   * Links a function that lives at {@code code} (machine code robojail wrote itself) and takes one
   * pointer, returning a long.
   */
  static MethodHandle pointerToLong(MemorySegment code) {
    return LINKER.downcallHandle(code, FunctionDescriptor.of(JAVA_LONG, ADDRESS));
  }
}
