package dev.robojail.sandbox;

import dev.robojail.ffm.InitBinary;
import dev.robojail.ffm.Landlock;
import dev.robojail.ffm.Syscalls;
import dev.robojail.ffm.Sysno;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a setup plan needs to know about the host, gathered in one place so that the plan itself is
 * a pure function of the spec and of these facts, and tests can make up a host.
 *
 * @param openFilesHardLimit the JVM's hard {@code RLIMIT_NOFILE}, {@link Long#MAX_VALUE} for none
 * @param processesHardLimit the JVM's hard {@code RLIMIT_NPROC}, {@link Long#MAX_VALUE} for none
 * @param landlockAbi the kernel's Landlock ABI version, or 0 without Landlock
 * @param lastCapability the highest capability the kernel knows ({@code cap_last_cap})
 * @param initFd the sealed memfd holding robojail-init, or -1 when there is none to use
 */
record HostFacts(
    long openFilesHardLimit,
    long processesHardLimit,
    int landlockAbi,
    int lastCapability,
    int initFd) {
  /**
   * This host's facts for {@code spec}. The init is only looked for when the spec runs its command
   * under it: making it costs a memfd and, where it cannot be had, a logged warning.
   */
  static HostFacts probe(Sandbox spec) {
    boolean init = spec.lifecycle().init() && spec.namespaces().contains(Namespace.PID);
    return new HostFacts(
        hardLimit(SetupPlan.RLIMIT_NOFILE),
        hardLimit(SetupPlan.RLIMIT_NPROC),
        Landlock.abi(),
        capLastCap(),
        init ? InitBinary.fd() : -1);
  }

  /** The JVM's own hard limit: the child inherits it and cannot raise it without privilege. */
  private static long hardLimit(int resource) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment old = a.allocate(16);
      long r = Syscalls.raw(Sysno.PRLIMIT64, 0, resource, 0, old.address());
      // RLIM_INFINITY reads as -1: no cap
      long hard = r < 0 ? Long.MAX_VALUE : old.get(ValueLayout.JAVA_LONG, 8);
      return hard < 0 ? Long.MAX_VALUE : hard;
    }
  }

  /** Dropping a capability above this one fails with EINVAL. */
  private static int capLastCap() {
    try {
      // Not Files.readString: on a sysctl file (size 0) it returns only the first byte.
      return Integer.parseInt(
          Files.readAllLines(Path.of("/proc/sys/kernel/cap_last_cap")).getFirst().strip());
    } catch (IOException | RuntimeException e) {
      return 40; // CAP_CHECKPOINT_RESTORE, the last one as of Linux 5.9-6.x
    }
  }
}
