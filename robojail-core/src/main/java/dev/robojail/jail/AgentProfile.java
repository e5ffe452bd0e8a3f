package dev.robojail.jail;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a coding agent needs in a jail, as data: the built-in {@code claude} and {@code codex}
 * profiles, and the user's {@code [agent.NAME]} tables in {@code config.toml} ({@link
 * AgentProfiles}). A jail made with a profile ({@code create --agent NAME}, or inferred from the
 * entrypoint) keeps its name in {@link JailState#agent()}; {@code JailProfile} composes it at every
 * run.
 *
 * @param name the profile's name, as given to {@code --agent}
 * @param command the agent's program, found on PATH at create time; a jail whose entrypoint has
 *     this base name gets the profile without {@code --agent}
 * @param args the arguments the entrypoint gets by default
 * @param credentials files under the home holding the agent's login (relative paths): copied from
 *     the host's home into the jail's home before each run; a credential the agent refreshed inside
 *     flows back to the host, checked first ({@code AgentHome}); nothing else ever does
 * @param credentialKey a top-level key a credential must have to flow back (empty: any JSON object)
 * @param accountFile a JSON file under the home (relative) whose {@code accountKeys} are copied
 *     into the jail's file of that name, never back; empty for none
 * @param accountKeys the keys of {@code accountFile} that identify the account
 * @param loginEnv environment variables that carry a login, passed in when set on the host
 * @param environment variables set in the jail
 * @param caches directories under the home where the agent's tools keep their caches; they persist
 *     in the jail's home
 * @param hosts allowlist entries the agent needs, added to the configured allowlist in proxy mode
 * @param hostPorts host loopback ports the agent reaches at {@code host.robojail.internal} (a local
 *     model server, say), added to the configuration's and the jail's {@code host_ports}
 * @param settings whose settings robojail writes the worktree's trust (and the decision about the
 *     agent's own sandbox) in
 * @param network the network mode of the profile's jails ({@code network}), or null to follow the
 *     configuration; a jail's own {@code create --network} wins over it
 * @param networkAllowDefaults whether the default allowlist applies to the profile's jails ({@code
 *     network_allow_defaults}), or null to follow the configuration's key of that name
 * @param networkFrom where {@code network} and {@code network_allow_defaults} were set, as {@code
 *     create} names it ("agent profile NAME, FILE:LINE"); empty when neither is
 */
public record AgentProfile(
    String name,
    String command,
    List<String> args,
    List<String> credentials,
    String credentialKey,
    String accountFile,
    List<String> accountKeys,
    List<String> loginEnv,
    Map<String, String> environment,
    List<String> caches,
    List<String> hosts,
    List<Integer> hostPorts,
    Settings settings,
    Config.NetworkMode network,
    Boolean networkAllowDefaults,
    String networkFrom) {

  /** Whose settings file robojail writes the jail's decisions in. */
  public enum Settings {
    /** Nothing is written. */
    NONE,
    /**
     * Claude Code: {@code ~/.claude.json}'s {@code projects.<worktree>.hasTrustDialogAccepted}.
     * Claude Code's own sandbox is off unless its settings turn it on, and the jail's settings are
     * the jail's own, so nothing else is needed.
     */
    CLAUDE,
    /**
     * Codex: {@code ~/.codex/config.toml}'s {@code [projects."<worktree>"] trust_level} and {@code
     * sandbox_mode = "danger-full-access"}.
     */
    CODEX
  }

  /**
   * Why the agent's own sandbox is always off in a jail, for the line that refuses a command asking
   * for it. Both agents' sandboxes are bubblewrap in a nested user namespace, and inside a jail it
   * cannot start: as the jail's uid 0 (robojail run as root) any uid map of the nested namespace
   * maps the jail's uid 0, which the kernel allows only to a creator with {@code CAP_SETFCAP}, and
   * the jail holds no capabilities ("setting up uid map: Operation not permitted"); as any other
   * user the map is written, but bubblewrap's first mount is refused by the jail's seccomp filter,
   * which keeps the mount table as it was built ("Failed to make / slave"). Opening either would
   * give code in the jail the kernel surface robojail keeps closed, to run a weaker sandbox inside
   * a stronger one.
   */
  public static final String OWN_SANDBOX_OFF =
      "an agent's own sandbox cannot work inside a jail, and robojail is the sandbox";

  public AgentProfile {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(command, "command");
    Objects.requireNonNull(credentialKey, "credentialKey");
    Objects.requireNonNull(accountFile, "accountFile");
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(networkFrom, "networkFrom");
    args = List.copyOf(args);
    credentials = List.copyOf(credentials);
    accountKeys = List.copyOf(accountKeys);
    loginEnv = List.copyOf(loginEnv);
    environment = Map.copyOf(environment);
    caches = List.copyOf(caches);
    hosts = List.copyOf(hosts);
    hostPorts = List.copyOf(hostPorts);
  }

  /**
   * What a jail with this profile sees of the host and keeps, one line each, as {@code create}
   * shows it.
   */
  public List<String> exposes() {
    List<String> lines = new java.util.ArrayList<>();
    for (String c : credentials) {
      lines.add(
          "login file ~/" + c + ": copied in before each run; a refreshed one flows back, checked");
    }
    if (!accountFile.isEmpty()) {
      lines.add(
          "account ~/" + accountFile + ": " + String.join(", ", accountKeys) + " (copied in only)");
    }
    if (!loginEnv.isEmpty()) {
      lines.add("login variables, when set: " + String.join(", ", loginEnv));
    }
    if (!environment.isEmpty()) {
      lines.add(
          "environment: "
              + String.join(
                  ", ",
                  new java.util.TreeMap<>(environment)
                      .entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList()));
    }
    if (!caches.isEmpty()) {
      lines.add("caches kept in the jail's home: ~/" + String.join(", ~/", caches));
    }
    if (network != null) {
      lines.add("network: " + network.key() + " (unless the jail's own --network says otherwise)");
    }
    if (Boolean.FALSE.equals(networkAllowDefaults)) {
      lines.add("network (proxy mode): the default allowlist does not apply");
    } else if (Boolean.TRUE.equals(networkAllowDefaults)) {
      lines.add("network (proxy mode): the default allowlist applies");
    }
    if (!hosts.isEmpty()) {
      lines.add("network (proxy mode) also allows: " + String.join(", ", hosts));
    }
    if (!hostPorts.isEmpty()) {
      lines.add(
          "the host's loopback ports, at "
              + dev.robojail.net.HostPorts.NAME
              + ": "
              + String.join(", ", hostPorts.stream().map(String::valueOf).toList()));
    }
    if (settings != Settings.NONE) {
      lines.add("the worktree is trusted in the agent's settings (the jail's own copy)");
    }
    lines.add("the agent's own sandbox: off (robojail is the sandbox)");
    return List.copyOf(lines);
  }
}
