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

  /**
   * {@code arg} with a leading {@code ~} or {@code ~/} replaced by {@code home}, and likewise right
   * after the first {@code =} of an option ({@code --config=~/agent.toml}), as bash expands them;
   * {@code ~user} and a {@code ~} anywhere else are kept.
   */
  static String expandHome(String arg, Path home) {
    if (isHomeWord(arg)) {
      return home + arg.substring(1);
    }
    int eq = arg.indexOf('=');
    if (arg.startsWith("-") && eq > 0 && isHomeWord(arg.substring(eq + 1))) {
      return arg.substring(0, eq + 1) + home + arg.substring(eq + 2);
    }
    return arg;
  }

  private static boolean isHomeWord(String s) {
    return s.equals("~") || s.startsWith("~/");
  }

  /**
   * The directory a program installed by a package manager needs whole, found from its real path:
   * the outermost {@code node_modules} above it (node resolves a package's dependencies up through
   * every {@code node_modules} above it, and npm hoists them beside the package), or else the
   * nearest Python virtual environment ({@code pyvenv.cfg}, as pipx makes them). Empty for a
   * program that is in neither.
   */
  static Optional<Path> packageRoot(Path real) {
    Path outermost = null;
    for (Path p = real.getParent(); p != null; p = p.getParent()) {
      if (p.getFileName() != null && p.getFileName().toString().equals("node_modules")) {
        outermost = p;
      }
    }
    if (outermost != null) {
      return Optional.of(outermost);
    }
    for (Path p = real.getParent(); p != null && p.getParent() != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("pyvenv.cfg"), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
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
