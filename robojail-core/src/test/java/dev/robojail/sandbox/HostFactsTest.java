package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.OutOfDescriptors;
import dev.robojail.ffm.Procfs;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The host's facts: the user's limits are at most a second old, the rest as the kernel says. */
class HostFactsTest {
  private static final long AGE = HostFacts.USER_LIMITS_MAX_AGE_NANOS;

  @AfterEach
  void readAgainAtTheRealTime() {
    // a clock earlier than the last read reads again: later tests see facts read now
    HostFacts.probeHost(Long.MIN_VALUE / 2);
    HostFacts.probeHost();
  }

  @Test
  void theUsersLimitsAreKeptForASecondThenReadAgain() {
    // far ahead of whatever an earlier test read: this read is fresh
    long t = System.nanoTime() + 1000 * AGE;
    HostFacts read = HostFacts.probeHost(t);
    assertEquals(limitsAsProcShowsThem(), read.userLimits());

    HostFacts kept = HostFacts.probeHost(t + AGE);
    assertSame(read.userLimits(), kept.userLimits());
    assertEquals(read, kept, "equal facts: a start can reuse the program made for them");

    HostFacts again = HostFacts.probeHost(t + AGE + 1);
    assertNotSame(read.userLimits(), again.userLimits());
    assertEquals(limitsAsProcShowsThem(), again.userLimits());

    HostFacts earlier = HostFacts.probeHost(t);
    assertNotSame(again.userLimits(), earlier.userLimits(), "a clock that went back reads again");
  }

  @Test
  void theKernelsOwnFactsAreWhatItSays() {
    HostFacts f = HostFacts.probeHost(System.nanoTime() + 1000 * AGE);
    assertEquals(dev.robojail.ffm.Landlock.abi(), f.landlockAbi());
    assertEquals(
        Integer.parseInt(Procfs.sysctl("kernel/cap_last_cap").orElseThrow()), f.lastCapability());
    assertEquals(-1, f.initFd());
  }

  @Test
  void aReadThatFailedServesItsOwnStartWithWhatWasReadBeforeAndIsNotKept() {
    long t = System.nanoTime() + 1000 * AGE;
    HostFacts whole = HostFacts.probeHost(t);
    assertEquals(limitsAsProcShowsThem(), whole.userLimits());
    // loaded now: the read under the limit throws it for every file
    assertNotNull(dev.robojail.ffm.SyscallException.class.getName());
    HostFacts failed = OutOfDescriptors.during(() -> HostFacts.probeHost(t + AGE + 1));
    assertEquals(whole.userLimits(), failed.userLimits(), "the limits read before, not none");
    assertEquals(whole.lastCapability(), failed.lastCapability());
    // Had the failed read been kept (at t + AGE + 1), this one would be within its second.
    HostFacts next = HostFacts.probeHost(t + AGE + 2);
    assertNotSame(failed.userLimits(), next.userLimits(), "read again");
    assertEquals(limitsAsProcShowsThem(), next.userLimits());
  }

  @Test
  void withoutTheHostsLimitsASandboxStillGetsNoNestedUserNamespaceUnlessAllowed() {
    HostFacts none = new HostFacts(1024, 4096, 6, 40, -1, Map.of());
    Sandbox.Builder b = Sandbox.builder().minimalSystem().command("/bin/true");
    String program = SetupPlan.program(b.build(), none, -1, -1, -1, -1).toString();
    assertTrue(
        program.contains("/proc/sys/user/max_user_namespaces") && program.contains("\"0\\n\""),
        program);
    assertFalse(program.contains("max_inotify_instances"), "no value of the host's to halve");
    String allowed =
        SetupPlan.program(b.allowUserNamespaces(true).build(), none, -1, -1, -1, -1).toString();
    assertFalse(allowed.contains("max_user_namespaces"), allowed);
  }

  private static Map<String, Long> limitsAsProcShowsThem() {
    Map<String, Long> limits = new HashMap<>();
    for (String name : SetupPlan.SHARED_USER_LIMITS) {
      Procfs.sysctl("user/" + name).ifPresent(v -> limits.put(name, Long.parseLong(v)));
    }
    return limits;
  }
}
