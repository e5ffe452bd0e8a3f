package dev.robojail.jail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;

/**
 * The agent profiles a jail can be made with: the built-in ones ({@code agents.toml}, a resource of
 * this package) and the user's {@code [agent.NAME]} tables in {@code config.toml}. A table named
 * like a built-in profile extends it: each key it gives replaces that key of the built-in's whole
 * (a list or a table included, never merged item by item), and every other key stays the
 * built-in's; a table of any other name is a profile of its own, from scratch, and needs a {@code
 * command}. Every key of a user's table is checked, and a wrong one is a {@link ConfigException}
 * with the file and line.
 */
public final class AgentProfiles {
  private static final String BUILT_IN = "agents.toml";

  /** What a profile's name may be: also what a state file may record as a jail's agent. */
  static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,31}");

  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Set<String> KEYS =
      Set.of(
          "command",
          "args",
          "credentials",
          "credential_key",
          "account_file",
          "account_keys",
          "login_env",
          "env",
          "caches",
          "hosts",
          "host_ports",
          "settings",
          "own_sandbox",
          "network",
          "network_allow_defaults");

  // The user's profiles, read with the configuration; the built-in ones are parsed on first use,
  // since every command opens the jails and most never look at a profile (parsing TOML is the
  // first use of tomlj's parser, a noticeable part of a command's start-up).
  private final Map<String, AgentProfile> users;
  private volatile Map<String, AgentProfile> profiles;

  private AgentProfiles(Map<String, AgentProfile> users) {
    this.users = Map.copyOf(users);
  }

  private AgentProfiles(Map<String, AgentProfile> users, Map<String, AgentProfile> builtIn) {
    this(users);
    Map<String, AgentProfile> merged = new TreeMap<>(builtIn);
    merged.putAll(users);
    this.profiles = Map.copyOf(merged);
  }

  private Map<String, AgentProfile> profiles() {
    Map<String, AgentProfile> all = profiles;
    if (all == null) {
      Map<String, AgentProfile> merged = new TreeMap<>(readBuiltIn());
      merged.putAll(users);
      profiles = all = Map.copyOf(merged);
    }
    return all;
  }

  /** The built-in profiles only. */
  public static AgentProfiles builtIn() {
    return new AgentProfiles(Map.of());
  }

  /**
   * The built-in profiles and the user's, from {@code config} (which need not exist).
   *
   * @throws ConfigException if an {@code [agent.NAME]} table is wrong
   */
  public static AgentProfiles load(Path config) {
    Map<String, AgentProfile> all = new TreeMap<>();
    if (!java.nio.file.Files.exists(config)) {
      return new AgentProfiles(all);
    }
    TomlParseResult toml;
    try {
      toml = Toml.parse(config);
    } catch (NoSuchFileException e) {
      return new AgentProfiles(all);
    } catch (IOException e) {
      throw new ConfigException(config, "cannot read: " + e, e);
    }
    if (toml.hasErrors()) {
      return new AgentProfiles(all); // ConfigLoader reports broken TOML, with its line
    }
    if (toml.get(List.of("agent")) == null) {
      return new AgentProfiles(all);
    }
    // A user's table may extend a built-in profile, so the built-in ones are read now.
    Map<String, AgentProfile> builtIn = readBuiltIn();
    all.putAll(read(toml, config, builtIn));
    return new AgentProfiles(all, builtIn);
  }

  private static Map<String, AgentProfile> readBuiltIn() {
    try (InputStream in = AgentProfiles.class.getResourceAsStream(BUILT_IN)) {
      if (in == null) {
        throw new IllegalStateException("the built-in agent profiles are missing: " + BUILT_IN);
      }
      TomlParseResult toml = Toml.parse(in);
      if (toml.hasErrors()) {
        throw new IllegalStateException(BUILT_IN + ": " + toml.errors().getFirst());
      }
      return read(toml, Path.of(BUILT_IN), Map.of());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Map<String, AgentProfile> read(
      TomlTable toml, Path file, Map<String, AgentProfile> bases) {
    Map<String, AgentProfile> found = new LinkedHashMap<>();
    Object agents = toml.get(List.of("agent"));
    if (agents == null) {
      return found;
    }
    if (!(agents instanceof TomlTable table)) {
      throw new ConfigException(
          file, line(toml.inputPositionOf(List.of("agent"))), 0, "agent must be a table");
    }
    for (String name : table.keySet()) {
      Object value = table.get(List.of(name));
      TomlPosition at = table.inputPositionOf(List.of(name));
      if (!NAME.matcher(name).matches()) {
        throw new ConfigException(
            file,
            line(at),
            0,
            "agent."
                + TerminalSafe.sanitizeLine(name)
                + ": a profile's name is lowercase letters, digits, - and _ (at most 32)");
      }
      if (!(value instanceof TomlTable profile)) {
        throw new ConfigException(file, line(at), 0, "agent." + name + " must be a table");
      }
      found.put(
          name,
          new Reader(file, "agent." + name, profile, bases.get(name), line(at)).profile(name));
    }
    return found;
  }

  private static int line(TomlPosition p) {
    return p == null ? 0 : p.line();
  }

  /** The profile of that name. */
  public Optional<AgentProfile> find(String name) {
    return Optional.ofNullable(profiles().get(name));
  }

  /**
   * The profile of that name.
   *
   * @throws InvalidInputException naming the known profiles, if there is none
   */
  public AgentProfile require(String name) {
    AgentProfile p = profiles().get(name);
    if (p == null) {
      throw new InvalidInputException(
          "unknown agent profile "
              + TerminalSafe.sanitizeLine(name)
              + "; known profiles: "
              + String.join(", ", names()));
    }
    return p;
  }

  /** Every profile's name, sorted. */
  public List<String> names() {
    return new TreeMap<>(profiles()).keySet().stream().toList();
  }

  /**
   * The profile whose command is the program of this entrypoint, by base name, as typed or as its
   * real file (npm installs {@code codex} as {@code codex.js}, {@code claude} as {@code
   * claude.exe}), if one is.
   */
  public Optional<AgentProfile> inferFrom(List<String> entrypoint) {
    if (entrypoint == null || entrypoint.isEmpty()) {
      return Optional.empty();
    }
    Set<String> names = programNames(entrypoint.getFirst());
    return new TreeMap<>(profiles())
        .values().stream().filter(p -> names.contains(baseName(Path.of(p.command())))).findFirst();
  }

  /** Whether {@code command} runs the profile's agent, by the names {@link #inferFrom} knows. */
  static boolean runs(AgentProfile profile, List<String> command) {
    return !command.isEmpty()
        && programNames(command.getFirst()).contains(baseName(Path.of(profile.command())));
  }

  private static Set<String> programNames(String first) {
    Set<String> names = new java.util.HashSet<>();
    try {
      Path program = Path.of(first);
      names.add(baseName(program));
      names.add(baseName(program.toRealPath()));
    } catch (IOException | RuntimeException e) {
      // not there (yet): the typed name decides
    }
    return names;
  }

  private static String baseName(Path p) {
    Path f = p.getFileName();
    String name = f == null ? "" : f.toString();
    return name.replaceFirst("\\.(js|cjs|mjs|exe)$", "");
  }

  /**
   * Reads one {@code [agent.NAME]} table over {@code base}, the built-in profile of that name (null
   * for none): a key the table gives replaces the base's, a key it leaves out keeps the base's.
   * Every problem names the file and line.
   */
  private record Reader(
      Path file, String where, TomlTable table, AgentProfile base, int tableLine) {
    Reader {
      if (base == null) {
        base =
            new AgentProfile(
                "",
                "",
                List.of(),
                List.of(),
                "",
                "",
                List.of(),
                List.of(),
                Map.of(),
                List.of(),
                List.of(),
                List.of(),
                AgentProfile.Settings.NONE,
                null,
                null,
                "");
      }
    }

    AgentProfile profile(String name) {
      for (String key : table.keySet()) {
        if (!KEYS.contains(key)) {
          throw problem(
              key,
              "unknown key \""
                  + TerminalSafe.sanitizeLine(key)
                  + "\"; known keys are "
                  + String.join(", ", sortedKeys()));
        }
      }
      String command = string("command", base.command());
      if (command.isBlank() || command.indexOf('\0') >= 0) {
        throw problem("command", "command is required: the agent's program");
      }
      return new AgentProfile(
          name,
          command,
          strings("args", s -> null, base.args()),
          strings("credentials", Reader::relative, base.credentials()),
          string("credential_key", base.credentialKey()),
          optionalRelative(string("account_file", base.accountFile())),
          strings("account_keys", s -> null, base.accountKeys()),
          strings("login_env", Reader::envName, base.loginEnv()),
          env(),
          strings("caches", Reader::relative, base.caches()),
          strings(
              "hosts",
              s -> {
                try {
                  dev.robojail.net.Allowlist.entry(s);
                  return null;
                } catch (IllegalArgumentException e) {
                  return e.getMessage();
                }
              },
              base.hosts()),
          ports("host_ports"),
          ownSandboxOff(choice("settings", AgentProfile.Settings.class, base.settings())),
          networkMode(),
          allowDefaults(),
          networkFrom(name));
    }

    private boolean has(String key) {
      return table.get(List.of(key)) != null;
    }

    private Config.NetworkMode networkMode() {
      if (!has("network")) {
        return base.network();
      }
      String raw = string("network", "");
      for (Config.NetworkMode m : Config.NetworkMode.values()) {
        if (m.key().equals(raw)) {
          return m;
        }
      }
      throw problem(
          "network",
          "network must be \"proxy\", \"host\" or \"none\", not " + ConfigLoader.describe(raw));
    }

    private Boolean allowDefaults() {
      if (!has("network_allow_defaults")) {
        return base.networkAllowDefaults();
      }
      Object v = table.get(List.of("network_allow_defaults"));
      if (v instanceof Boolean b) {
        return b;
      }
      throw problem(
          "network_allow_defaults",
          "network_allow_defaults must be true or false, not " + ConfigLoader.describe(v));
    }

    // What create says the mode or allowlist came from: this table's line, or the base's.
    private String networkFrom(String name) {
      String key =
          has("network")
              ? "network"
              : has("network_allow_defaults") ? "network_allow_defaults" : null;
      if (key == null) {
        return base.networkFrom();
      }
      return "agent profile "
          + name
          + ", "
          + file
          + ":"
          + line(table.inputPositionOf(List.of(key)));
    }

    private static List<String> sortedKeys() {
      return KEYS.stream().sorted().toList();
    }

    private String optionalRelative(String path) {
      if (path.isEmpty()) {
        return path;
      }
      String problem = relative(path);
      if (problem != null) {
        throw problem("account_file", "account_file " + problem);
      }
      return path;
    }

    private static String relative(String path) {
      if (path.isEmpty() || path.startsWith("/") || path.indexOf('\0') >= 0) {
        return "must be a path relative to the home directory";
      }
      for (String part : path.split("/")) {
        if (part.equals("..") || part.equals(".") || part.isEmpty()) {
          return "must stay inside the home directory (no \"..\", \".\" or \"//\")";
        }
      }
      return null;
    }

    private static String envName(String name) {
      return ENV_NAME.matcher(name).matches() ? null : "is not an environment variable name";
    }

    // At the key's line, or the table's for a key that is missing.
    private ConfigException problem(String key, String message) {
      TomlPosition at = table.inputPositionOf(List.of(key));
      return new ConfigException(file, at == null ? tableLine : line(at), 0, where + "." + message);
    }

    private String string(String key, String fallback) {
      Object v = table.get(List.of(key));
      if (v == null) {
        return fallback;
      }
      if (v instanceof String s) {
        return s;
      }
      throw problem(key, key + " must be a string, not " + ConfigLoader.describe(v));
    }

    private List<String> strings(
        String key, java.util.function.Function<String, String> check, List<String> fallback) {
      Object v = table.get(List.of(key));
      if (v == null) {
        return fallback;
      }
      if (!(v instanceof TomlArray array)) {
        throw problem(key, key + " must be an array of strings, not " + ConfigLoader.describe(v));
      }
      List<String> out = new ArrayList<>();
      for (int i = 0; i < array.size(); i++) {
        Object item = array.get(i);
        if (!(item instanceof String s)) {
          throw problem(
              key, key + "[" + i + "] must be a string, not " + ConfigLoader.describe(item));
        }
        String bad = check.apply(s);
        if (bad != null) {
          throw problem(key, key + "[" + i + "] " + ConfigLoader.describe(s) + " " + bad);
        }
        out.add(s);
      }
      return out;
    }

    private List<Integer> ports(String key) {
      Object v = table.get(List.of(key));
      if (v == null) {
        return base.hostPorts();
      }
      if (!(v instanceof TomlArray array)) {
        throw problem(
            key, key + " must be an array of port numbers, not " + ConfigLoader.describe(v));
      }
      List<Integer> out = new ArrayList<>();
      for (int i = 0; i < array.size(); i++) {
        Object item = array.get(i);
        if (!(item instanceof Long n) || n < 1 || n > 65535) {
          throw problem(
              key,
              key
                  + "["
                  + i
                  + "] must be a port from 1 to 65535, not "
                  + ConfigLoader.describe(item));
        }
        out.add(n.intValue());
      }
      return out;
    }

    private Map<String, String> env() {
      Object v = table.get(List.of("env"));
      if (v == null) {
        return base.environment();
      }
      if (!(v instanceof TomlTable t)) {
        throw problem("env", "env must be a table of strings, not " + ConfigLoader.describe(v));
      }
      Map<String, String> out = new LinkedHashMap<>();
      for (String k : t.keySet()) {
        Object value = t.get(List.of(k));
        if (!ENV_NAME.matcher(k).matches() || !(value instanceof String s)) {
          throw problem(
              "env", "env." + TerminalSafe.sanitizeLine(k) + " must be a variable set to a string");
        }
        out.put(k, s);
      }
      return out;
    }

    // own_sandbox stays a key so that a profile says so, but "off" is its one value: the agent's
    // own sandbox cannot work in a jail (AgentProfile.OWN_SANDBOX_OFF). "nested" used to be one.
    private AgentProfile.Settings ownSandboxOff(AgentProfile.Settings settings) {
      String raw = string("own_sandbox", "off");
      if (!raw.equals("off")) {
        throw problem(
            "own_sandbox",
            "own_sandbox must be \"off\", not "
                + ConfigLoader.describe(raw)
                + ": "
                + AgentProfile.OWN_SANDBOX_OFF);
      }
      return settings;
    }

    private <E extends Enum<E>> E choice(String key, Class<E> type, E fallback) {
      String raw = string(key, null);
      if (raw == null) {
        return fallback;
      }
      List<String> allowed = new ArrayList<>();
      for (E e : type.getEnumConstants()) {
        String k = e.name().toLowerCase(Locale.ROOT);
        if (k.equals(raw)) {
          return e;
        }
        allowed.add('"' + k + '"');
      }
      throw problem(
          key,
          key
              + " must be one of "
              + String.join(", ", allowed)
              + ", not "
              + ConfigLoader.describe(raw));
    }
  }
}
