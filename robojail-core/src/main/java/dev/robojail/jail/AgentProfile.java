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
 * @param ownSandbox what becomes of the agent's own sandbox inside the jail
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
    OwnSandbox ownSandbox) {

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
     * Codex: {@code ~/.codex/config.toml}'s {@code [projects."<worktree>"] trust_level} and, with
     * {@link OwnSandbox#OFF}, {@code sandbox_mode = "danger-full-access"}.
     */
    CODEX
  }

  /** The agent's own sandbox inside the jail. */
  public enum OwnSandbox {
    /**
     * Turned off: robojail is the sandbox. The agents' own sandboxes make nested user namespaces,
     * which the jail refuses (each one opens kernel code to the jail that it otherwise cannot
     * reach); left on, the agent's first command would fail.
     */
    OFF,
    /** The jail allows nested user namespaces, so that the agent's own sandbox works inside. */
    NESTED
  }

  public AgentProfile {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(command, "command");
    Objects.requireNonNull(credentialKey, "credentialKey");
    Objects.requireNonNull(accountFile, "accountFile");
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(ownSandbox, "ownSandbox");
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
    lines.add(
        ownSandbox == OwnSandbox.OFF
            ? "the agent's own sandbox: off (robojail is the sandbox)"
            : "the agent's own sandbox: on, with nested user namespaces allowed in the jail");
    return List.copyOf(lines);
  }
}
