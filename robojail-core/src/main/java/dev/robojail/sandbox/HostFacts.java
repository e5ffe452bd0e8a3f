package dev.robojail.sandbox;

import dev.robojail.ffm.InitBinary;
import dev.robojail.ffm.Landlock;
import dev.robojail.ffm.Procfs;
import dev.robojail.ffm.Rlimit;
import dev.robojail.ffm.SyscallException;
import dev.robojail.ffm.Syscalls;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a setup plan needs to know about the host, gathered in one place so that the plan itself is
 * a pure function of the spec and of these facts, and tests can make up a host.
 *
 * @param openFilesHardLimit the JVM's hard {@code RLIMIT_NOFILE}, {@link Long#MAX_VALUE} for none
 * @param processesHardLimit the JVM's hard {@code RLIMIT_NPROC}, {@link Long#MAX_VALUE} for none
 * @param landlockAbi the kernel's Landlock ABI version, or 0 without Landlock
 * @param lastCapability the highest capability the kernel knows ({@code cap_last_cap})
 * @param initFd the sealed memfd holding robojail-init, or -1 when there is none to use
 * @param userLimits the caller's own {@code /proc/sys/user} limits by name ({@code
 *     max_inotify_instances}…), those of {@link SetupPlan#SHARED_USER_LIMITS} this kernel has
 */
record HostFacts(
    long openFilesHardLimit,
    long processesHardLimit,
    int landlockAbi,
    int lastCapability,
    int initFd,
    Map<String, Long> userLimits) {
  HostFacts {
    userLimits = Map.copyOf(userLimits);
  }

  /** Facts without the user's limits: a plan from them leaves the sandbox's at the kernel's. */
  HostFacts(
      long openFilesHardLimit,
      long processesHardLimit,
      int landlockAbi,
      int lastCapability,
      int initFd) {
    this(openFilesHardLimit, processesHardLimit, landlockAbi, lastCapability, initFd, Map.of());
  }

  // CAP_CHECKPOINT_RESTORE, the last capability as of Linux 5.9 to 6.x.
  private static final int LAST_KNOWN_CAP = 40;

  /**
   * This host's facts for {@code spec}. The init is only looked for when the spec runs its command
   * under it: making it costs a memfd. The rest comes from the host's facts gathered ahead ({@link
   * HostAhead}) when a command started that and nothing took them yet.
   */
  static HostFacts probe(Sandbox spec) {
    boolean init = spec.lifecycle().init() && spec.namespaces().contains(Namespace.PID);
    HostFacts host = HostAhead.takeFacts();
    if (host == null) {
      host = probeHost();
    }
    if (!init) {
      return host;
    }
    return new HostFacts(
        host.openFilesHardLimit,
        host.processesHardLimit,
        host.landlockAbi,
        host.lastCapability,
        InitBinary.fd(),
        host.userLimits);
  }

  /**
   * The facts that depend on the host and this process only, without the init. Its initialisers:
   * {@link Rlimit}'s and {@link SetupPlan}'s need only the JDK's classes (see {@link HostAhead}).
   */
  static HostFacts probeHost() {
    return new HostFacts(
        hardLimit(Rlimit.RLIMIT_NOFILE),
        hardLimit(Rlimit.RLIMIT_NPROC),
        Landlock.abi(),
        capLastCap(),
        -1,
        probeUserLimits());
  }

  private static Map<String, Long> probeUserLimits() {
    Map<String, Long> limits = new LinkedHashMap<>();
    for (String name : SetupPlan.SHARED_USER_LIMITS) {
      try {
        Procfs.sysctl("user/" + name).ifPresent(v -> limits.put(name, Long.parseLong(v.trim())));
      } catch (NumberFormatException e) {
        // not a count: leave the sandbox's at the kernel's
      }
    }
    return limits;
  }

  /** The JVM's own hard limit: the child inherits it and cannot raise it without privilege. */
  private static long hardLimit(int resource) {
    long hard;
    try {
      hard = Syscalls.prlimit64(0, resource).hard();
    } catch (SyscallException e) {
      hard = Long.MAX_VALUE;
    }
    // RLIM_INFINITY reads as -1: no cap
    return hard < 0 ? Long.MAX_VALUE : hard;
  }

  /** Dropping a capability above this one fails with EINVAL. */
  private static int capLastCap() {
    try {
      return Procfs.sysctl("kernel/cap_last_cap").map(Integer::parseInt).orElse(LAST_KNOWN_CAP);
    } catch (NumberFormatException e) {
      return LAST_KNOWN_CAP;
    }
  }
}
