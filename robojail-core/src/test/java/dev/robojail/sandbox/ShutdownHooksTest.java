package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** A command halts the JVM only when no hook of robojail's has anything left to do. */
class ShutdownHooksTest {
  @Test
  void aHookHasWorkUntilRemovedOrAsLongAsItSaysItHas() {
    // Other tests in this JVM may hold hooks of their own: only these two are looked at.
    Thread pending = new Thread(() -> {}, "test-pending");
    ShutdownHooks.add(pending);
    assertTrue(ShutdownHooks.busy().contains("test-pending"));
    assertFalse(ShutdownHooks.idle());
    ShutdownHooks.remove(pending);
    assertFalse(ShutdownHooks.busy().contains("test-pending"), "removed");

    AtomicBoolean nothingRunning = new AtomicBoolean(false);
    Thread watching = new Thread(() -> {}, "test-watching");
    ShutdownHooks.add(watching, nothingRunning::get);
    try {
      assertTrue(ShutdownHooks.busy().contains("test-watching"), "its processes still run");
      nothingRunning.set(true);
      assertFalse(ShutdownHooks.busy().contains("test-watching"), "nothing left to do");
    } finally {
      ShutdownHooks.remove(watching);
    }
  }
}
