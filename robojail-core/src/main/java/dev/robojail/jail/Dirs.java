package dev.robojail.jail;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Where robojail keeps its files, following the XDG base directory specification.
 *
 * @param dataDir {@code $XDG_DATA_HOME/robojail}: the jails' worktrees live below it
 * @param configFile {@code $XDG_CONFIG_HOME/robojail/config.toml}
 * @param stateFile {@code $XDG_STATE_HOME/robojail/jails.json}
 */
public record Dirs(Path dataDir, Path configFile, Path stateFile) {
  public Dirs {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(configFile, "configFile");
    Objects.requireNonNull(stateFile, "stateFile");
  }

  /**
   * Resolves the directories from an environment.
   *
   * @param env environment variables; only the {@code XDG_*_HOME} ones are read
   * @param home the user's home directory, for the defaults
   */
  public static Dirs resolve(Map<String, String> env, Path home) {
    Path data = base(env, "XDG_DATA_HOME", home, ".local/share").resolve("robojail");
    Path config = base(env, "XDG_CONFIG_HOME", home, ".config").resolve("robojail/config.toml");
    Path state = base(env, "XDG_STATE_HOME", home, ".local/state").resolve("robojail/jails.json");
    return new Dirs(data, config, state);
  }

  /** Resolves the directories from this process's environment and home directory. */
  public static Dirs fromSystem() {
    return resolve(System.getenv(), home(System.getenv()));
  }

  /** {@code $HOME}, or the JVM's idea of it when {@code HOME} is unset. */
  public static Path home(Map<String, String> env) {
    String home = env.get("HOME");
    if (home == null || home.isEmpty() || !Path.of(home).isAbsolute()) {
      home = System.getProperty("user.home");
    }
    return Path.of(home);
  }

  // The specification says a relative path in these variables is invalid and must be ignored.
  private static Path base(Map<String, String> env, String variable, Path home, String fallback) {
    String value = env.get(variable);
    if (value != null && !value.isEmpty()) {
      Path path = Path.of(value);
      if (path.isAbsolute()) {
        return path.normalize();
      }
    }
    return home.resolve(fallback);
  }

  /** The directory holding every jail's worktree. */
  public Path jailsDir() {
    return dataDir.resolve("jails");
  }

  /** The worktree of the named jail. */
  public Path jailDir(JailName name) {
    return jailsDir().resolve(name.value());
  }

  /** The lock file guarding {@link #stateFile()}. */
  public Path stateLockFile() {
    return stateFile.resolveSibling(stateFile.getFileName() + ".lock");
  }
}
