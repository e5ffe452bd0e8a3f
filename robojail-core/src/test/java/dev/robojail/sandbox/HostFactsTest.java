package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

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

  private static Map<String, Long> limitsAsProcShowsThem() {
    Map<String, Long> limits = new HashMap<>();
    for (String name : SetupPlan.SHARED_USER_LIMITS) {
      Procfs.sysctl("user/" + name).ifPresent(v -> limits.put(name, Long.parseLong(v)));
    }
    return limits;
  }
}
