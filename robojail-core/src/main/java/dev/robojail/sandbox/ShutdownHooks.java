package dev.robojail.sandbox;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/**
 * The JVM shutdown hooks robojail registers, known by name so that a command that has ended can
 * tell whether any of them would still do something. When none would, the command may halt the JVM
 * rather than exit it: {@code System.exit} first looks up the {@code System.Logger} of {@code
 * java.lang.Runtime}, a service lookup that opens every jar on the class path (about 9 ms of CPU
 * for each command), only to find that the exit is not logged.
 */
public final class ShutdownHooks {
  private static final Map<Thread, BooleanSupplier> HOOKS = new ConcurrentHashMap<>();

  private ShutdownHooks() {}

  /** Registers {@code hook} with the JVM; it has work to do until {@link #remove}d. */
  public static void add(Thread hook) {
    add(hook, () -> false);
  }

  /**
   * Registers {@code hook} with the JVM; it has nothing to do while {@code idle} says so.
   *
   * @throws IllegalStateException if the JVM is already shutting down
   */
  public static void add(Thread hook, BooleanSupplier idle) {
    Runtime.getRuntime().addShutdownHook(hook);
    HOOKS.put(hook, idle);
  }

  /**
   * Deregisters {@code hook}.
   *
   * @throws IllegalStateException if the JVM is already shutting down
   */
  public static void remove(Thread hook) {
    Runtime.getRuntime().removeShutdownHook(hook);
    HOOKS.remove(hook);
  }

  /** Whether no hook registered here would do anything if the JVM exited now. */
  public static boolean idle() {
    // A loop, not busy(): its stream's lambdas are spun at run time at the end of every command.
    for (BooleanSupplier idle : HOOKS.values()) {
      if (!idle.getAsBoolean()) {
        return false;
      }
    }
    return true;
  }

  /** The names of the hooks registered here that would do something if the JVM exited now. */
  public static List<String> busy() {
    return HOOKS.entrySet().stream()
        .filter(e -> !e.getValue().getAsBoolean())
        .map(e -> e.getKey().getName())
        .sorted()
        .toList();
  }
}
