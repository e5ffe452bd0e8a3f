package dev.robojail.ffm;

import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waiting in tests for what a fixed sleep would only hope for (a file exists, a process is in some
 * state, a trap is set): polled often, so that a test goes on as soon as it holds, and with a
 * deadline generous enough for a loaded, shared machine, so that a slow moment is not a failure.
 */
public final class Await {
  /** Long enough for a machine that is very busy; a test that hits it has really failed. */
  public static final Duration DEADLINE = Duration.ofSeconds(30);

  private Await() {}

  /** Returns once {@code condition} holds; fails the test, naming {@code what}, at the deadline. */
  public static void until(String what, BooleanSupplier condition) {
    value(what, () -> condition.getAsBoolean() ? Optional.of(true) : Optional.empty());
  }

  /**
   * Returns the first value {@code probe} finds; fails the test, naming {@code what}, at the
   * deadline.
   */
  public static <T> T value(String what, Supplier<Optional<T>> probe) {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (true) {
      Optional<T> v = probe.get();
      if (v.isPresent()) {
        return v.get();
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("waited " + DEADLINE.toSeconds() + " s in vain for " + what);
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for " + what, e);
      }
    }
  }
}
