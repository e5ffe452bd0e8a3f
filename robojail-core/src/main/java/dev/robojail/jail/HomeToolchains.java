package dev.robojail.jail;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The toolchains a user installed in their home (nvm, pyenv, rustup and cargo, sdkman, Go, {@code
 * ~/.local/bin}, other {@code PATH} entries under the home, and the configured {@code path}), found
 * on the host and turned into read-only binds at their real paths and the {@code PATH} that finds
 * them, in the user's order.
 *
 * <p>Only directories are made visible, and only these: the directory a toolchain's programs are
 * in, and what they need beside it (a node version, a pyenv root, {@code ~/.rustup}, a Go root, the
 * npm package or virtual environment a link in a bin directory points into). Never the home itself
 * or a directory above it, never a hidden path or a directory inside one, and never what a symbolic
 * link leads to outside of those: such a link stays dangling inside. Hidden paths inside a visible
 * directory are masked as in any bind ({@link HiddenPaths#mask}).
 */
final class HomeToolchains {
  /** The kinds {@code toolchains} in {@code config.toml} names, in the order they are detected. */
  static final List<String> KINDS =
      List.of("nvm", "pyenv", "cargo", "sdkman", "go", "local", "path");

  private static final String CONFIGURED = "path (config)";

  private static final List<String> SYSTEM_DIRS =
      List.of("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc");

  /**
   * What was found.
   *
   * @param binds the directories to bind read-only, each at its real path
   * @param path the directories to put on {@code PATH}, in order, before the system's
   * @param env variables the toolchains need inside (set on the host to a non-default place)
   * @param added one line per toolchain made visible, for {@code create} and {@code doctor}
   * @param refused one line per directory not made visible, or link not followed, and why
   */
  record Found(
      List<BindSpec> binds,
      List<String> path,
      Map<String, String> env,
      List<String> added,
      List<String> refused) {}

  private final Path home;
  private final Path realHome;
  private final Map<String, String> env;
  private final HiddenPaths hidden;
  private final List<Path> roots = new ArrayList<>();
  // Real PATH directories, each with the kind that found it.
  private final Map<Path, String> pathDirs = new LinkedHashMap<>();
  private final Map<String, String> toolEnv = new LinkedHashMap<>();
  private final Map<String, List<String>> addedByKind = new LinkedHashMap<>();
  private final List<String> refused = new ArrayList<>();

  private HomeToolchains(Path home, Map<String, String> env, HiddenPaths hidden) {
    this.home = home;
    this.realHome = HiddenPaths.realPath(home);
    this.env = env;
    this.hidden = hidden;
  }

  /**
   * Finds the toolchains of {@code kinds} in {@code home}, and the directories of {@code
   * extraPath}.
   *
   * @param env the host's environment: {@code PATH} gives the user's order, and the toolchains' own
   *     variables ({@code NVM_DIR}, {@code PYENV_ROOT}, {@code CARGO_HOME}, {@code RUSTUP_HOME},
   *     {@code SDKMAN_DIR}, {@code GOROOT}, {@code GOPATH}) where they are
   */
  static Found detect(
      Path home,
      Map<String, String> env,
      Set<String> kinds,
      List<Path> extraPath,
      HiddenPaths hidden) {
    HomeToolchains t = new HomeToolchains(home, env, hidden);
    for (Path p : extraPath) {
      t.binDir(CONFIGURED, p, false);
    }
    for (String kind : KINDS) {
      if (kinds.contains(kind)) {
        switch (kind) {
          case "nvm" -> t.nvm();
          case "pyenv" -> t.pyenv();
          case "cargo" -> t.cargo();
          case "sdkman" -> t.sdkman();
          case "go" -> t.go();
          case "local" -> t.local();
          default -> t.otherPathEntries();
        }
      }
    }
    t.followLinks();
    return t.result();
  }

  private List<Path> hostPath() {
    List<Path> dirs = new ArrayList<>();
    String path = env.get("PATH");
    if (path != null) {
      for (String d : path.split(":")) {
        if (d.startsWith("/")) {
          dirs.add(Path.of(d).normalize());
        }
      }
    }
    return dirs;
  }

  // A toolchain's own variable counts only where it names a place in this home: set to anywhere
  // else, it is not a toolchain of the home (and not for a jail to see).
  private Path dirOf(String variable, String fallback) {
    String value = env.get(variable);
    Path dir = value != null && value.startsWith("/") ? Path.of(value).normalize() : null;
    return dir != null && under(dir, home) ? dir : home.resolve(fallback);
  }

  // The version nvm would use: the one on the user's PATH (nvm use), else its default alias, else
  // the only one installed.
  private void nvm() {
    Path versions = dirOf("NVM_DIR", ".nvm").resolve("versions/node");
    if (!Files.isDirectory(versions)) {
      return;
    }
    Path chosen = null;
    for (Path d : hostPath()) {
      if (d.startsWith(versions) && d.getNameCount() == versions.getNameCount() + 2) {
        chosen = d.getParent();
        break;
      }
    }
    List<Path> installed = children(versions);
    if (chosen == null) {
      String alias = firstLine(versions.getParent().getParent().resolve("alias/default"));
      if (alias != null) {
        String wanted = alias.startsWith("v") ? alias : "v" + alias;
        chosen =
            installed.stream()
                .filter(
                    v -> {
                      String n = v.getFileName().toString();
                      return n.equals(wanted) || n.startsWith(wanted + ".");
                    })
                .max(Comparator.comparing(HomeToolchains::versionKey))
                .orElse(null);
      }
    }
    if (chosen == null && installed.size() == 1) {
      chosen = installed.getFirst();
    }
    if (chosen != null && root("nvm", chosen)) {
      binDir("nvm", chosen.resolve("bin"), true);
    }
  }

  private void pyenv() {
    Path root = dirOf("PYENV_ROOT", ".pyenv");
    if (!Files.isDirectory(root) || !root("pyenv", root)) {
      return;
    }
    for (Path d : hostPath()) {
      if (d.startsWith(root)) {
        binDir("pyenv", d, true);
      }
    }
    binDir("pyenv", root.resolve("shims"), true);
    binDir("pyenv", root.resolve("bin"), true);
    passOn("PYENV_ROOT");
  }

  private void cargo() {
    Path bin = dirOf("CARGO_HOME", ".cargo").resolve("bin");
    if (!Files.isDirectory(bin)) {
      return;
    }
    binDir("cargo", bin, false);
    Path rustup = dirOf("RUSTUP_HOME", ".rustup");
    if (Files.isDirectory(rustup)) {
      root("cargo", rustup);
    }
    passOn("CARGO_HOME");
    passOn("RUSTUP_HOME");
  }

  private void sdkman() {
    Path candidates = dirOf("SDKMAN_DIR", ".sdkman").resolve("candidates");
    if (!Files.isDirectory(candidates) || !root("sdkman", candidates)) {
      return;
    }
    for (Path c : children(candidates)) {
      binDir("sdkman", c.resolve("current/bin"), true);
    }
    String javaHome = env.get("JAVA_HOME");
    if (javaHome != null && Path.of(javaHome).normalize().startsWith(candidates)) {
      toolEnv.put("JAVA_HOME", javaHome);
    }
  }

  private void go() {
    List<Path> goroots = new ArrayList<>();
    String goroot = env.get("GOROOT");
    if (goroot != null && goroot.startsWith("/")) {
      goroots.add(Path.of(goroot).normalize());
    }
    for (Path d : hostPath()) {
      if (d.getParent() != null && d.getFileName().toString().equals("bin")) {
        goroots.add(d.getParent());
      }
    }
    goroots.add(home.resolve(".local/go"));
    goroots.add(home.resolve("go"));
    for (Path g : goroots) {
      if (isGoRoot(g) && under(g, home) && root("go", g)) {
        binDir("go", g.resolve("bin"), true);
        break;
      }
    }
    String gopath = env.get("GOPATH");
    Path first =
        gopath != null && gopath.startsWith("/")
            ? Path.of(gopath.split(":")[0]).normalize()
            : home.resolve("go");
    if (!under(first, home)) {
      first = home.resolve("go");
    }
    if (!isGoRoot(first)) {
      binDir("go", first.resolve("bin"), false);
    }
  }

  private static boolean isGoRoot(Path dir) {
    return Files.isRegularFile(dir.resolve("VERSION")) && Files.isExecutable(dir.resolve("bin/go"));
  }

  // ~/.local/bin, and the user site of pip (~/.local/lib/pythonX.Y) that its scripts import from.
  private void local() {
    Path bin = home.resolve(".local/bin");
    if (!Files.isDirectory(bin)) {
      return;
    }
    binDir("local", bin, false);
    for (Path lib : children(home.resolve(".local/lib"))) {
      if (lib.getFileName().toString().startsWith("python")) {
        root("local", lib);
      }
    }
  }

  private void otherPathEntries() {
    for (Path d : hostPath()) {
      if (home.startsWith(d)) {
        refused.add(
            "path: the PATH entry "
                + TerminalSafe.sanitizeLine(d.toString())
                + " not made visible: "
                + (d.equals(home)
                    ? "it is the home directory itself"
                    : "it holds the home directory"));
      } else if (under(d, home)) {
        binDir("path", d, isVisible(HiddenPaths.realPath(d)));
      }
    }
  }

  // A directory on PATH; bound itself unless `inRoot` (a root of its toolchain holds it) or a
  // system directory (every jail sees those).
  private void binDir(String kind, Path dir, boolean inRoot) {
    if (!Files.isDirectory(dir)) {
      return;
    }
    Path real = HiddenPaths.realPath(dir);
    if (!isSystem(real) && !inRoot && !root(kind, dir)) {
      return;
    }
    if (isVisible(real)) {
      pathDirs.putIfAbsent(real, kind);
    }
  }

  // Makes a directory visible, after the checks; false (and a line saying why) if refused.
  private boolean root(String kind, Path dir) {
    Path real = HiddenPaths.realPath(dir);
    String why = refusal(kind, real);
    if (why != null) {
      refused.add(kind + ": " + show(dir) + " not made visible: " + why);
      return false;
    }
    if (roots.stream().noneMatch(real::startsWith)) {
      roots.removeIf(r -> r.startsWith(real));
      roots.add(real);
      addedByKind.computeIfAbsent(kind, k -> new ArrayList<>()).add(show(real));
    }
    return true;
  }

  private String refusal(String kind, Path real) {
    if (!Files.isDirectory(real)) {
      return "not a directory";
    }
    if (realHome.startsWith(real)) {
      return real.equals(realHome)
          ? "it is the home directory itself"
          : "it holds the home directory";
    }
    Optional<Path> h = hidden.hiding(real);
    if (h.isPresent()) {
      return "it is inside the hidden path " + show(h.get());
    }
    if (!real.startsWith(realHome) && !kind.equals(CONFIGURED)) {
      return "it leads out of the home, to " + show(real);
    }
    return null;
  }

  // A link in a bin directory that leads out of everything visible: followed only into the npm
  // package or virtual environment it belongs to, since that is what the program needs.
  private void followLinks() {
    for (Map.Entry<Path, String> e : List.copyOf(pathDirs.entrySet())) {
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(e.getKey())) {
        for (Path link : entries) {
          if (!Files.isSymbolicLink(link)) {
            continue;
          }
          Path target;
          try {
            target = link.toRealPath();
          } catch (IOException x) {
            continue; // dangling on the host as well
          }
          if (isVisible(target)) {
            continue;
          }
          Optional<Path> pkg = Executables.packageRoot(target);
          if (pkg.isEmpty() || !under(pkg.get(), realHome) || !root(e.getValue(), pkg.get())) {
            refused.add(
                e.getValue()
                    + ": "
                    + show(link)
                    + " -> "
                    + show(target)
                    + " not followed: it leads out of what is visible");
          }
        }
      } catch (IOException x) {
        refused.add(e.getValue() + ": " + show(e.getKey()) + " cannot be listed: " + x);
      }
    }
  }

  private boolean isVisible(Path real) {
    return isSystem(real) || roots.stream().anyMatch(real::startsWith);
  }

  static boolean isSystem(Path real) {
    return SYSTEM_DIRS.stream().anyMatch(real::startsWith);
  }

  private static boolean under(Path p, Path dir) {
    return p.startsWith(dir) && !p.equals(dir);
  }

  private void passOn(String variable) {
    String value = env.get(variable);
    if (value != null && value.startsWith("/")) {
      Path real = HiddenPaths.realPath(Path.of(value));
      if (isVisible(real)) {
        toolEnv.put(variable, value);
      }
    }
  }

  // The user's order: first the directories as they come on the host's PATH, then the others as
  // detected (the configured path first).
  private Found result() {
    Set<Path> ordered = new LinkedHashSet<>();
    for (Path d : hostPath()) {
      Path real = HiddenPaths.realPath(d);
      if (pathDirs.containsKey(real)) {
        ordered.add(real);
      }
    }
    List<Path> configured = new ArrayList<>();
    pathDirs.forEach(
        (p, kind) -> {
          if (kind.equals(CONFIGURED)) {
            configured.add(p);
          }
        });
    List<Path> path = new ArrayList<>(configured);
    Stream.concat(ordered.stream(), pathDirs.keySet().stream())
        .filter(p -> !path.contains(p))
        .forEach(path::add);
    List<String> added = new ArrayList<>();
    addedByKind.forEach(
        (kind, dirs) -> {
          List<String> onPath = new ArrayList<>();
          pathDirs.forEach(
              (p, k) -> {
                if (k.equals(kind)) {
                  onPath.add(show(p));
                }
              });
          added.add(
              kind
                  + ": "
                  + String.join(", ", dirs)
                  + (onPath.isEmpty() ? "" : " (on PATH: " + String.join(", ", onPath) + ")"));
        });
    return new Found(
        roots.stream().map(BindSpec::same).toList(),
        path.stream().map(Path::toString).toList(),
        Map.copyOf(toolEnv),
        List.copyOf(added),
        List.copyOf(refused));
  }

  private String show(Path p) {
    String s =
        p.startsWith(realHome) && !p.equals(realHome)
            ? "~/" + realHome.relativize(p)
            : p.startsWith(home) && !p.equals(home) ? "~/" + home.relativize(p) : p.toString();
    return TerminalSafe.sanitizeLine(s);
  }

  private static List<Path> children(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> Files.isDirectory(p)).sorted().toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  private static String firstLine(Path file) {
    try {
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || Files.size(file) > 4096) {
        return null;
      }
      return Files.readAllLines(file).stream().findFirst().map(String::strip).orElse(null);
    } catch (IOException e) {
      return null;
    }
  }

  // "v20.11.1" as comparable numbers; anything else sorts first.
  private static String versionKey(Path p) {
    StringBuilder key = new StringBuilder();
    for (String part : p.getFileName().toString().replaceFirst("^v", "").split("\\.")) {
      key.append(String.format("%10s", part.replaceAll("\\D", "")));
    }
    return key.toString();
  }
}
