package dev.robojail.jail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds programs on the host the way a shell would, for the two programs robojail starts by name:
 * git, and a jail's entrypoint. Only absolute {@code PATH} entries count: a relative one would
 * depend on the directory robojail happens to run in.
 */
final class Executables {
  private Executables() {}

  /**
   * The first regular, executable file {@code name} in an absolute directory of {@code path}.
   *
   * @param path a {@code PATH} value, {@code :}-separated; {@code null} finds nothing
   */
  static Optional<Path> onPath(String name, String path) {
    return onPathCandidates(name, path).filter(Executables::isExecutableFile).findFirst();
  }

  /**
   * A command as a user types it: {@code ~/bin/tool} in {@code home}, {@code ./tool} or {@code
   * /usr/bin/tool} as a path, {@code tool} on {@code path}; normalized.
   *
   * @param path a {@code PATH} value, {@code :}-separated; {@code null} finds nothing on it
   */
  static Optional<Path> find(String command, Path home, String path) {
    if (command.isEmpty()) {
      return Optional.empty();
    }
    Stream<Path> candidates;
    if (command.startsWith("~/")) {
      candidates = Stream.of(home.resolve(command.substring(2)));
    } else if (command.contains("/")) {
      candidates = Stream.of(Path.of(command).toAbsolutePath());
    } else {
      candidates = onPathCandidates(command, path);
    }
    return candidates.map(Path::normalize).filter(Executables::isExecutableFile).findFirst();
  }

  private static Stream<Path> onPathCandidates(String name, String path) {
    if (path == null) {
      return Stream.empty();
    }
    List<Path> candidates = new ArrayList<>();
    for (String dir : path.split(":")) {
      if (!dir.isEmpty() && dir.startsWith("/")) {
        candidates.add(Path.of(dir, name));
      }
    }
    return candidates.stream();
  }

  private static boolean isExecutableFile(Path p) {
    return Files.isRegularFile(p) && Files.isExecutable(p);
  }
}
