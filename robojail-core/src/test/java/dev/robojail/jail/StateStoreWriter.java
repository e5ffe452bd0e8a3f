package dev.robojail.jail;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * Run in a separate JVM by {@link StateStoreTest}: adds jails {@code PREFIX-0..COUNT-1} to the
 * state file, each with its own {@link StateStore} read-modify-write.
 */
public final class StateStoreWriter {
  private StateStoreWriter() {}

  public static void main(String[] args) {
    Path file = Path.of(args[0]);
    String prefix = args[1];
    int count = Integer.parseInt(args[2]);
    StateStore store = new StateStore(file);
    for (int i = 0; i < count; i++) {
      store.put(jail(prefix + "-" + i));
    }
  }

  static JailState jail(String name) {
    return new JailState(
        JailName.of(name),
        Path.of("/repo"),
        "robojail/" + name,
        "0123456789abcdef0123456789abcdef01234567",
        Path.of("/data/jails/" + name),
        Path.of("/repo/.git/worktrees/" + name),
        Instant.parse("2026-01-02T03:04:05.678Z"),
        List.of("bash", "-l"),
        null);
  }
}
