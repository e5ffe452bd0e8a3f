package dev.robojail.jail;

import dev.robojail.sandbox.Sandbox;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.FileVisitor;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The configured {@code hidden_paths}, as real paths, and the two ways they are kept out of a
 * jail's binds: a bind that would expose one is refused or masked, and a hidden file with another
 * hard link next to a bound directory refuses the run.
 */
final class HiddenPaths {
  private final List<Path> paths;
  private final List<Path> always;

  private HiddenPaths(List<Path> paths, List<Path> always) {
    this.paths = List.copyOf(paths);
    this.always = List.copyOf(always);
  }

  /** The hidden paths of {@code config}, relative to {@code home}, as real paths. */
  static HiddenPaths of(Config config, Path home) {
    return of(config, home, List.of());
  }

  /**
   * The hidden paths of {@code config}, relative to {@code home}, and {@code always}: paths hidden
   * whatever the configuration says (robojail's own directories, the user's git directory), all as
   * real paths. The configuration cannot name those away, and they are masked and refused like the
   * others; they are not searched for hard links, since they hold the jails' own worktrees, whose
   * links the jails make themselves.
   */
  static HiddenPaths of(Config config, Path home, List<Path> always) {
    return new HiddenPaths(
        config.hiddenPaths().stream().map(h -> realPath(home.resolve(h))).toList(),
        always.stream().map(HiddenPaths::realPath).toList());
  }

  /** These very paths, already real (for tests). */
  static HiddenPaths of(List<Path> realPaths) {
    return new HiddenPaths(realPaths, List.of());
  }

  /**
   * Refuses a bind whose source is a hidden path or lies inside one, and covers each hidden path
   * inside the bind's source: a directory with an empty read-only tmpfs, a file with {@code
   * /dev/null}, read-only.
   */
  void mask(Sandbox.Builder b, BindSpec bind) {
    Path source = realPath(bind.source());
    for (Path h : java.util.stream.Stream.concat(paths.stream(), always.stream()).toList()) {
      if (source.startsWith(h)) {
        throw new JailException(
            "the bind of "
                + TerminalSafe.sanitizeLine(bind.source().toString())
                + " would expose the hidden path "
                + TerminalSafe.sanitizeLine(h.toString())
                + "; remove it from extra_ro_binds/extra_rw_binds or from hidden_paths");
      }
      if (h.startsWith(source) && Files.exists(h, LinkOption.NOFOLLOW_LINKS)) {
        String target = bind.target().endsWith("/") ? bind.target() : bind.target() + "/";
        String inside = target + source.relativize(h);
        if (Files.isDirectory(h, LinkOption.NOFOLLOW_LINKS)) {
          // robojail's directories and the user's git directory stay traversable: the jail's own
          // worktree, git directory and objects are mounted inside them.
          b.tmpfs(inside, 4096, always.contains(h) ? 0755 : 0);
        } else {
          b.readOnlyBind(Path.of("/dev/null"), inside);
        }
      }
    }
  }

  /**
   * The hidden path that {@code real} (a real path) is, or lies inside, if any: what a bind of it
   * would expose whatever is masked.
   */
  java.util.Optional<Path> hiding(Path real) {
    return java.util.stream.Stream.concat(paths.stream(), always.stream())
        .filter(real::startsWith)
        .findFirst();
  }

  /**
   * The hidden path that {@code real} is, lies inside or holds, if any: what a view of the whole
   * directory, with nothing masked inside (an overlay's lower layer), would expose.
   */
  java.util.Optional<Path> overlapping(Path real) {
    return java.util.stream.Stream.concat(paths.stream(), always.stream())
        .filter(h -> real.startsWith(h) || h.startsWith(real))
        .findFirst();
  }

  /** Walks a file tree as {@link Files#walkFileTree(Path, FileVisitor)} does. */
  @FunctionalInterface
  interface Walker {
    void walk(Path start, FileVisitor<Path> visitor) throws IOException;
  }

  /**
   * A file under a hidden path that has another hard link could be reached through that other name,
   * and no path check sees it. Hard links never cross filesystems, so such a file is a risk only
   * when a bound directory lives on the same filesystem; then the jail is refused, rather than
   * searched for the other name (which could be anywhere in a large bind).
   *
   * @param sources the host directories bound into the jail
   * @throws JailException if a hidden file has another hard link, or a hidden path cannot be read
   *     to the end: a file the scan did not see could be one
   */
  void refuseHardLinks(List<Path> sources) {
    refuseHardLinks(sources, Files::walkFileTree);
  }

  void refuseHardLinks(List<Path> sources, Walker walker) {
    Set<Object> devices = new HashSet<>();
    for (Path s : sources) {
      try {
        devices.add(Files.getAttribute(s, "unix:dev"));
      } catch (IOException | RuntimeException e) {
        // a source that cannot be read is refused by the sandbox itself
      }
    }
    for (Path h : paths) {
      if (!Files.exists(h, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      try {
        walker.walk(h, new LinkCheck(h, devices));
      } catch (IOException e) {
        throw incomplete(h, e);
      }
    }
  }

  // Never follows a symbolic link (walkFileTree does not unless asked); stops at the first failure.
  private static final class LinkCheck extends SimpleFileVisitor<Path> {
    private final Path hidden;
    private final Set<Object> devices;

    LinkCheck(Path hidden, Set<Object> devices) {
      this.hidden = hidden;
      this.devices = devices;
    }

    @Override
    public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
      if (!attrs.isRegularFile()) {
        return FileVisitResult.CONTINUE;
      }
      int links = (Integer) Files.getAttribute(f, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
      Object dev = Files.getAttribute(f, "unix:dev", LinkOption.NOFOLLOW_LINKS);
      if (links > 1 && devices.contains(dev)) {
        throw new JailException(
            "the hidden file "
                + TerminalSafe.sanitizeLine(f.toString())
                + " has "
                + links
                + " hard links, and another name for it could be inside the jail; remove the"
                + " extra link (find "
                + TerminalSafe.sanitizeLine(hidden.toString())
                + " -links +1)");
      }
      return FileVisitResult.CONTINUE;
    }

    @Override
    public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
      throw e;
    }

    @Override
    public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
      if (e != null) {
        throw e;
      }
      return FileVisitResult.CONTINUE;
    }
  }

  private static JailException incomplete(Path hidden, IOException e) {
    String where = hidden.toString();
    String why = e.toString();
    if (e instanceof FileSystemException fse) {
      where = fse.getFile() == null ? where : fse.getFile();
      why =
          fse.getReason() != null
              ? fse.getReason()
              : e instanceof AccessDeniedException ? "permission denied" : e.getClass().getName();
    }
    return new JailException(
        TerminalSafe.sanitizeLine(
            "cannot check the hidden path "
                + hidden
                + " for hard links: "
                + where
                + ": "
                + why
                + "; make it readable, or remove it"),
        e);
  }

  /**
   * The real path of {@code p}, or {@code p} made absolute and normal where it has none. Most
   * hidden paths do not exist: a stat that follows links fails exactly where {@code realpath(3)}
   * would, and says so without the exceptions {@code toRealPath} makes on the way (each with a deep
   * stack trace) or its {@code readlink} of every component.
   */
  static Path realPath(Path p) {
    if (!Files.exists(p)) {
      return p.toAbsolutePath().normalize();
    }
    try {
      return p.toRealPath();
    } catch (IOException e) {
      return p.toAbsolutePath().normalize();
    }
  }
}
