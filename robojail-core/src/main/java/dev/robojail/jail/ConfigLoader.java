package dev.robojail.jail;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseError;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;

/**
 * Reads {@code config.toml}. A missing file means {@link Config#DEFAULTS}; anything else that is
 * not exactly right (broken TOML, an unknown key, a value of the wrong type, a relative bind path)
 * is a {@link ConfigException} naming the file and line, because a typo silently ignored in a
 * sandbox's configuration is a hole nobody notices.
 */
public final class ConfigLoader {
  private static final Set<String> KEYS =
      Set.of(
          "default_shell",
          "network_enabled",
          "network",
          "network_allow",
          "network_allow_defaults",
          "host_ports",
          "extra_ro_binds",
          "extra_rw_binds",
          "hidden_paths",
          "env_passthrough",
          "max_open_files",
          "max_processes",
          "core_dumps",
          "max_memory",
          "tmp_size",
          "home_size",
          "toolchains",
          "path",
          "seed_caches",
          // [agent.NAME] tables: read by AgentProfiles
          "agent");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private final Path file;
  private final Path home;

  private ConfigLoader(Path file, Path home) {
    this.file = file;
    this.home = home;
  }

  /**
   * Loads the configuration.
   *
   * @param file the configuration file; it need not exist
   * @param home the home directory that {@code ~} stands for in bind paths
   * @throws ConfigException if the file exists but is unreadable or wrong
   */
  public static Config load(Path file, Path home) {
    TomlParseResult toml;
    try {
      toml = Toml.parse(file);
    } catch (NoSuchFileException e) {
      return Config.DEFAULTS;
    } catch (CharacterCodingException e) {
      throw new ConfigException(file, "is not valid UTF-8", e);
    } catch (IOException e) {
      throw new ConfigException(file, "cannot read: " + e, e);
    }
    return new ConfigLoader(file, home).read(toml);
  }

  /** Loads the configuration file named by {@code dirs}. */
  public static Config load(Dirs dirs, Path home) {
    return load(dirs.configFile(), home);
  }

  private Config read(TomlParseResult toml) {
    if (toml.hasErrors()) {
      TomlParseError error = toml.errors().getFirst();
      TomlPosition at = error.position();
      throw new ConfigException(
          file,
          at == null ? 0 : at.line(),
          at == null ? 0 : at.column(),
          oneLine(error.getMessage()));
    }
    for (String key : toml.keySet()) {
      if (!KEYS.contains(key)) {
        throw error(
            toml,
            key,
            "unknown key \""
                + TerminalSafe.sanitizeLine(key)
                + "\"; known keys are "
                + String.join(", ", KEYS.stream().sorted().toList()));
      }
    }
    Config d = Config.DEFAULTS;
    return new Config(
        string(toml, "default_shell", d.defaultShell(), this::shell),
        bool(toml, "network_enabled", d.networkEnabled()),
        networkMode(toml, d.network()),
        list(toml, "network_allow", d.networkAllow(), ConfigLoader::allowEntry),
        bool(toml, "network_allow_defaults", d.networkAllowDefaults()),
        list(toml, "extra_ro_binds", d.extraRoBinds(), this::bind),
        list(toml, "extra_rw_binds", d.extraRwBinds(), this::bind),
        list(toml, "hidden_paths", d.hiddenPaths(), this::hiddenPath),
        list(toml, "env_passthrough", d.envPassthrough(), ConfigLoader::envName),
        positive(toml, "max_open_files", d.maxOpenFiles()),
        positive(toml, "max_processes", d.maxProcesses()),
        bool(toml, "core_dumps", d.coreDumps()),
        memory(toml, "max_memory", d.maxMemory()),
        size(toml, "tmp_size", d.tmpSize()),
        size(toml, "home_size", d.homeSize()),
        list(toml, "toolchains", d.toolchains(), ConfigLoader::toolchainKind),
        list(toml, "path", d.path(), this::pathEntry),
        ports(toml, "host_ports", d.hostPorts()),
        list(toml, "seed_caches", d.seedCaches(), ConfigLoader::cacheKind));
  }

  /** An array of TCP port numbers, 1 to 65535. */
  private List<Integer> ports(TomlTable toml, String key, List<Integer> fallback) {
    Object value = toml.get(List.of(key));
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof TomlArray array)) {
      throw error(toml, key, key + " must be an array of port numbers, not " + describe(value));
    }
    List<Integer> result = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      Object item = array.get(i);
      int line = lineOf(array.inputPositionOf(i), toml.inputPositionOf(List.of(key)));
      if (!(item instanceof Long n) || n < 1 || n > 65535) {
        throw new ConfigException(
            file,
            line,
            0,
            key + "[" + i + "] must be a port from 1 to 65535, not " + describe(item));
      }
      result.add(n.intValue());
    }
    return List.copyOf(result);
  }

  private static final Pattern SIZE = Pattern.compile("([1-9][0-9]{0,17})([KMGT]?)");

  /**
   * A size in bytes: a positive whole number, or a string such as {@code "512M"} or {@code "4G"}.
   */
  private long size(TomlTable toml, String key, long fallback) {
    Object value = toml.get(List.of(key));
    if (value == null) {
      return fallback;
    }
    if (value instanceof Long n && n > 0) {
      return n;
    }
    if (value instanceof String s) {
      java.util.regex.Matcher m = SIZE.matcher(s.strip().toUpperCase(java.util.Locale.ROOT));
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        int shift = m.group(2).isEmpty() ? 0 : ("KMGT".indexOf(m.group(2)) + 1) * 10;
        if (n <= Long.MAX_VALUE >> shift) {
          return n << shift;
        }
      }
    }
    throw error(
        toml,
        key,
        key
            + " must be a size such as 512M or 4G (or a positive number of bytes), not "
            + describe(value));
  }

  /**
   * The least {@code max_memory} a jail may have: 32 MiB. A fresh sandbox's child sets up inside
   * its memory cgroup while it still shares the JVM's memory (CLONE_VM), and what the kernel
   * charges there for that setup (its namespaces, mounts, the init's exec) must never fill the
   * cgroup: the OOM killer would score the child by the JVM's memory and kill every process sharing
   * it, the JVM included (250000 bytes did that on every run). The floor is a wide margin over what
   * those kernel objects take, not a measured bound for every kernel.
   */
  static final long MIN_MEMORY = 32L << 20;

  private long memory(TomlTable toml, String key, long fallback) {
    long bytes = size(toml, key, fallback);
    if (bytes < MIN_MEMORY) {
      throw error(
          toml,
          key,
          key
              + " must be at least 32M (the sandbox's own setup is charged there), not "
              + bytes
              + " bytes");
    }
    return bytes;
  }

  private long positive(TomlTable toml, String key, long fallback) {
    Object value = toml.get(List.of(key));
    if (value == null) {
      return fallback;
    }
    if (value instanceof Long n && n > 0) {
      return n;
    }
    throw error(toml, key, key + " must be a positive whole number, not " + describe(value));
  }

  private boolean bool(TomlTable toml, String key, boolean fallback) {
    Object value = toml.get(List.of(key));
    if (value == null) {
      return fallback;
    }
    if (value instanceof Boolean b) {
      return b;
    }
    throw error(toml, key, key + " must be true or false, not " + describe(value));
  }

  private String string(
      TomlTable toml, String key, String fallback, Function<String, String> check) {
    Object value = toml.get(List.of(key));
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof String s)) {
      throw error(toml, key, key + " must be a string, not " + describe(value));
    }
    String problem = check.apply(s);
    if (problem != null) {
      throw error(toml, key, key + " " + problem);
    }
    return s;
  }

  /** One element of an array setting: returns the parsed element or throws {@link Problem}. */
  private interface Element<T> {
    T parse(String raw);
  }

  /** A problem with one array element; the caller adds file, line and key. */
  private static final class Problem extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Problem(String message) {
      super(message, null, false, false);
    }
  }

  private <T> List<T> list(TomlTable toml, String key, List<T> fallback, Element<T> element) {
    Object value = toml.get(List.of(key));
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof TomlArray array)) {
      throw error(toml, key, key + " must be an array of strings, not " + describe(value));
    }
    List<T> result = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      Object item = array.get(i);
      String where = key + "[" + i + "]";
      int line = lineOf(array.inputPositionOf(i), toml.inputPositionOf(List.of(key)));
      if (!(item instanceof String s)) {
        throw new ConfigException(
            file, line, 0, where + " must be a string, not " + describe(item));
      }
      try {
        result.add(element.parse(s));
      } catch (Problem p) {
        throw new ConfigException(file, line, 0, where + " " + describe(s) + ": " + p.getMessage());
      }
    }
    return List.copyOf(result);
  }

  private String shell(String value) {
    return value.startsWith("/") && value.indexOf('\0') < 0
        ? null
        : "must be an absolute path, not " + describe(value);
  }

  // What a jail sees read-only as the host has it: a bind target below one must already exist.
  private static final List<String> READ_ONLY_IN_A_JAIL =
      List.of("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc");

  private BindSpec bind(String raw) {
    int colon = raw.indexOf(':');
    String source = colon < 0 ? raw : raw.substring(0, colon);
    String target = colon < 0 ? raw : raw.substring(colon + 1);
    Path from = absolute("source", source);
    Path to = absolute("target", target);
    requireMountPoint(to);
    return new BindSpec(from, to.toString());
  }

  /**
   * A bind needs its target to exist inside the jail or to be creatable there. Below the system
   * directories, which the jail sees read-only as on the host, a target that does not exist on the
   * host cannot be made: refuse it here, with the file and line, rather than fail every run at a
   * {@code mkdirat} with EROFS. Links on the way are followed as the jail would ({@code /bin} may
   * be {@code usr/bin}).
   */
  private static void requireMountPoint(Path target) {
    Path resolved = resolveExisting(target);
    for (String dir : READ_ONLY_IN_A_JAIL) {
      Path system = resolveExisting(Path.of(dir));
      if ((resolved.startsWith(system) || target.startsWith(dir))
          && !Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
        throw new Problem(
            "target "
                + TerminalSafe.sanitizeLine(target.toString())
                + " does not exist, and "
                + dir
                + " is read-only in a jail, so no mount point can be made there; choose a target"
                + " that exists, or one outside "
                + dir);
      }
    }
  }

  // The deepest existing ancestor as a real path, with the rest appended.
  private static Path resolveExisting(Path path) {
    Path existing = path;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      return path;
    }
    try {
      return existing.toRealPath().resolve(existing.relativize(path));
    } catch (IOException e) {
      return path;
    }
  }

  private Path absolute(String side, String raw) {
    if (raw.isEmpty()) {
      throw new Problem(side + " is empty");
    }
    String expanded =
        raw.equals("~") ? home.toString() : raw.startsWith("~/") ? home + raw.substring(1) : raw;
    Path path;
    try {
      path = Path.of(expanded);
    } catch (InvalidPathException e) {
      throw new Problem(side + " is not a valid path");
    }
    if (!path.isAbsolute()) {
      throw new Problem(
          side
              + " \""
              + TerminalSafe.sanitizeLine(raw)
              + "\" is not absolute; write /..., ~ or ~/...");
    }
    return path.normalize();
  }

  private String hiddenPath(String raw) {
    String relative = raw.startsWith("~/") ? raw.substring(2) : raw;
    if (relative.isEmpty() || relative.startsWith("/") || relative.indexOf('\0') >= 0) {
      throw new Problem("must be a path relative to the home directory");
    }
    for (String part : relative.split("/")) {
      if (part.equals("..")) {
        throw new Problem("must stay inside the home directory (no \"..\")");
      }
    }
    return relative;
  }

  private Config.NetworkMode networkMode(TomlTable toml, Config.NetworkMode fallback) {
    String raw = string(toml, "network", fallback.key(), ConfigLoader::modeProblem);
    return Config.NetworkMode.valueOf(raw.toUpperCase(java.util.Locale.ROOT));
  }

  private static String modeProblem(String raw) {
    for (Config.NetworkMode m : Config.NetworkMode.values()) {
      if (m.key().equals(raw)) {
        return null;
      }
    }
    return "must be \"proxy\", \"host\" or \"none\", not " + describe(raw);
  }

  private static String allowEntry(String raw) {
    try {
      dev.robojail.net.Allowlist.entry(raw);
    } catch (IllegalArgumentException e) {
      throw new Problem(e.getMessage());
    }
    return raw;
  }

  private static String toolchainKind(String raw) {
    if (!HomeToolchains.KINDS.contains(raw)) {
      throw new Problem(
          "is not a kind of toolchain; known kinds are " + String.join(", ", HomeToolchains.KINDS));
    }
    return raw;
  }

  private static String cacheKind(String raw) {
    if (!HostCaches.KINDS.containsKey(raw)) {
      throw new Problem(
          "is not a kind of cache; known kinds are "
              + String.join(", ", HostCaches.KINDS.keySet()));
    }
    return raw;
  }

  // The home itself, or a directory above it, would show every file of the home.
  private Path pathEntry(String raw) {
    Path dir = absolute("entry", raw);
    if (home.toAbsolutePath().normalize().startsWith(dir)) {
      throw new Problem(
          "would make the whole home directory visible; name a directory inside it, such as"
              + " ~/bin");
    }
    return dir;
  }

  private static String envName(String raw) {
    if (!ENV_NAME.matcher(raw).matches()) {
      throw new Problem("is not an environment variable name");
    }
    return raw;
  }

  private ConfigException error(TomlTable toml, String key, String problem) {
    return new ConfigException(file, lineOf(toml.inputPositionOf(List.of(key)), null), 0, problem);
  }

  private static int lineOf(TomlPosition position, TomlPosition fallback) {
    TomlPosition p = position != null ? position : fallback;
    return p == null ? 0 : p.line();
  }

  /** A TOML value as the user would recognise it in a message. */
  static String describe(Object value) {
    return switch (value) {
      case String s ->
          '"' + TerminalSafe.sanitizeLine(s.replace("\\", "\\\\").replace("\"", "\\\"")) + '"';
      case Boolean b -> b.toString();
      case Long l -> l.toString();
      case Double d -> d.toString();
      case TomlArray _ -> "an array";
      case TomlTable _ -> "a table";
      default -> "a date or time";
    };
  }

  private static String oneLine(String message) {
    return TerminalSafe.sanitizeLine(
        message == null ? "invalid TOML" : message.strip().replaceAll("\\s*\\R\\s*", " "));
  }
}
