package dev.robojail.jail;

import java.util.List;
import java.util.Objects;

/**
 * The user's settings from {@code config.toml}; see {@link ConfigLoader}.
 *
 * @param defaultShell the command a jail runs when none is given ({@code default_shell})
 * @param networkEnabled whether jails have a way out at all ({@code network_enabled}; false means
 *     {@link NetworkMode#NONE} whatever {@code network} says)
 * @param network how jails reach the network when it is enabled ({@code network})
 * @param networkAllow the allowlist entries added to the defaults, or replacing them ({@code
 *     network_allow})
 * @param networkAllowDefaults whether the default allowlist applies ({@code
 *     network_allow_defaults})
 * @param extraRoBinds host paths bound read-only into every jail ({@code extra_ro_binds})
 * @param extraRwBinds host paths bound read-write into every jail ({@code extra_rw_binds})
 * @param hiddenPaths paths relative to the home directory that a jail must not see ({@code
 *     hidden_paths})
 * @param envPassthrough environment variables passed into a jail ({@code env_passthrough})
 * @param maxOpenFiles descriptors a jailed process may have open ({@code max_open_files}; capped at
 *     the host's hard limit)
 * @param maxProcesses processes the jail may have, against fork bombs ({@code max_processes}; as an
 *     rlimit per user, and as the jail's cgroup's limit where one can be made, which also binds the
 *     host's root)
 * @param coreDumps whether crashing processes may write core files ({@code core_dumps})
 * @param maxMemory bytes of memory the jail's processes may use together ({@code max_memory}; where
 *     a cgroup can be made)
 * @param tmpSize the size of the jail's {@code /tmp} and {@code /dev/shm}, each ({@code tmp_size})
 * @param homeSize accepted for configurations written before the home persisted ({@code
 *     home_size}); the home is now a directory of the jail's own on disk ({@code
 *     <data>/homes/NAME}), limited by that disk, not by this
 * @param toolchains the kinds of toolchains in the home made visible, read-only, and put on {@code
 *     PATH} ({@code toolchains}; see {@code HomeToolchains}; all by default, none with {@code []})
 * @param path more directories made visible read-only and put on {@code PATH}, first ({@code path})
 * @param hostPorts the host's loopback TCP ports every jail reaches at {@code
 *     host.robojail.internal} ({@code host_ports}; none by default)
 * @param seedCaches the kinds of cache a jail's own starts from the host's, read-only, through an
 *     overlay ({@code seed_caches}; see {@link HostCaches}; none by default: reading them shows the
 *     jail every package the user has built with)
 */
public record Config(
    String defaultShell,
    boolean networkEnabled,
    NetworkMode network,
    List<String> networkAllow,
    boolean networkAllowDefaults,
    List<BindSpec> extraRoBinds,
    List<BindSpec> extraRwBinds,
    List<String> hiddenPaths,
    List<String> envPassthrough,
    long maxOpenFiles,
    long maxProcesses,
    boolean coreDumps,
    long maxMemory,
    long tmpSize,
    long homeSize,
    List<String> toolchains,
    List<java.nio.file.Path> path,
    List<Integer> hostPorts,
    List<String> seedCaches) {

  /**
   * Credentials and keys of common tools, relative to the home directory: what a bind of the home
   * or of {@code ~/.config} must not show.
   */
  static final List<String> DEFAULT_HIDDEN_PATHS =
      List.of(
          ".ssh",
          ".gnupg",
          ".aws",
          ".azure",
          ".config/gcloud",
          ".kube",
          ".docker",
          ".netrc",
          ".git-credentials",
          ".config/git/credentials",
          ".config/gh",
          ".config/hub",
          ".npmrc",
          ".yarnrc",
          ".pypirc",
          ".config/pip",
          ".m2/settings.xml",
          ".m2/settings-security.xml",
          ".gradle/gradle.properties",
          ".cargo/credentials",
          ".cargo/credentials.toml",
          ".gem/credentials",
          ".terraform.d",
          ".vault-token",
          ".pgpass",
          ".my.cnf",
          ".password-store",
          ".local/share/keyrings",
          ".config/rclone",
          // agents' logins: a jail gets its own agent's copy (AgentHome), never another's
          ".claude/.credentials.json",
          ".codex/auth.json");

  /** The settings used when there is no configuration file. */
  public static final Config DEFAULTS =
      new Config(
          "/bin/bash",
          true,
          NetworkMode.PROXY,
          List.of(),
          true,
          List.of(),
          List.of(),
          DEFAULT_HIDDEN_PATHS,
          List.of("TERM", "LANG", "LC_ALL", "COLORTERM"),
          65536,
          4096,
          false,
          8L << 30,
          1L << 30,
          4L << 30,
          HomeToolchains.KINDS,
          List.of(),
          List.of(),
          List.of());

  /** How a jail reaches the network. */
  public enum NetworkMode {
    /** Its own network namespace; out only through robojail's egress proxy and its allowlist. */
    PROXY,
    /** The host's network namespace: everything the host reaches (opt-in, warned about). */
    HOST,
    /** Its own loopback only. */
    NONE;

    /** As written in config.toml. */
    public String key() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** The mode in effect: {@link NetworkMode#NONE} when the network is disabled. */
  public NetworkMode effectiveNetwork() {
    return networkEnabled ? network : NetworkMode.NONE;
  }

  /** The allowlist in effect for {@link NetworkMode#PROXY}. */
  public dev.robojail.net.Allowlist allowlist() {
    dev.robojail.net.Allowlist extra = dev.robojail.net.Allowlist.parse(networkAllow);
    return networkAllowDefaults ? dev.robojail.net.Allowlist.DEFAULT.plus(extra) : extra;
  }

  public Config {
    Objects.requireNonNull(defaultShell, "defaultShell");
    Objects.requireNonNull(network, "network");
    networkAllow = List.copyOf(networkAllow);
    extraRoBinds = List.copyOf(extraRoBinds);
    extraRwBinds = List.copyOf(extraRwBinds);
    hiddenPaths = List.copyOf(hiddenPaths);
    envPassthrough = List.copyOf(envPassthrough);
    toolchains = List.copyOf(toolchains);
    path = List.copyOf(path);
    hostPorts = List.copyOf(hostPorts);
    seedCaches = List.copyOf(seedCaches);
  }
}
