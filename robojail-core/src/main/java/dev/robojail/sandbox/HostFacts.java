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
    return probeHost(System.nanoTime());
  }

  /**
   * {@link #probeHost()} at {@code now} ({@link System#nanoTime}), for tests of the age bound. The
   * JVM's own limits are asked every time: it may change them itself. The kernel's Landlock ABI and
   * last capability cannot change while it runs, and the user's {@code /proc/sys/user} limits, a
   * dozen files read at ~15 µs each (a sixth of a warm JVM's start of a sandbox, measured), are
   * read again once they are {@link #USER_LIMITS_MAX_AGE_NANOS} old: a sandbox started within a
   * second of a change to them gets half of the old value, and the kernel holds every count charged
   * inside to the user's own limits either way. Only a read of every file that exists is kept: one
   * that failed otherwise (a JVM out of descriptors) serves its own start alone, with what was read
   * before for the files it could not read, and the next start reads again.
   */
  static HostFacts probeHost(long now) {
    Kept kept = HostFacts.kept;
    if (kept == null || now - kept.readAt() > USER_LIMITS_MAX_AGE_NANOS || now < kept.readAt()) {
      kept = read(kept, now);
      if (kept.whole()) {
        HostFacts.kept = kept;
      }
    }
    return new HostFacts(
        hardLimit(Rlimit.RLIMIT_NOFILE),
        hardLimit(Rlimit.RLIMIT_NPROC),
        kept.landlockAbi(),
        kept.lastCapability(),
        -1,
        kept.userLimits());
  }

  /** How old the user's limits read by {@link #probeHost()} may be: a second. */
  static final long USER_LIMITS_MAX_AGE_NANOS = 1_000_000_000L;

  // What probeHost read, whole when every file that exists was read; a race between two threads
  // only reads the same files twice.
  private record Kept(
      int landlockAbi,
      int lastCapability,
      Map<String, Long> userLimits,
      long readAt,
      boolean whole) {}

  private static volatile Kept kept;

  // The facts read again, but for the kernel's own, which a whole read before has (none is kept
  // unless whole). Dropping a capability above the last one fails with EINVAL.
  private static Kept read(Kept before, long now) {
    boolean whole = true;
    int lastCapability = LAST_KNOWN_CAP;
    if (before != null) {
      lastCapability = before.lastCapability();
    } else {
      try {
        lastCapability =
            Procfs.sysctlIfAny("kernel/cap_last_cap").map(Integer::parseInt).orElse(LAST_KNOWN_CAP);
      } catch (SyscallException | NumberFormatException e) {
        whole = false;
      }
    }
    Map<String, Long> limits = new LinkedHashMap<>();
    for (String name : SetupPlan.SHARED_USER_LIMITS) {
      try {
        Procfs.sysctlIfAny("user/" + name).ifPresent(v -> limits.put(name, Long.parseLong(v)));
      } catch (SyscallException e) {
        whole = false;
        Long was = before == null ? null : before.userLimits().get(name);
        if (was != null) {
          limits.put(name, was);
        }
      } catch (NumberFormatException e) {
        // not a count: leave the sandbox's at the kernel's
      }
    }
    int abi = before != null ? before.landlockAbi() : Landlock.abi();
    return new Kept(abi, lastCapability, Map.copyOf(limits), now, whole);
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
}
