package dev.robojail.jail;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link Jails#create(CreateOptions)} makes a jail from: a name and a repository, and whatever
 * else the caller chooses. Immutable; made with {@link #builder}.
 *
 * <pre>{@code
 * jails.create(CreateOptions.builder("demo", Path.of(".")).agent("claude").build());
 * }</pre>
 */
public final class CreateOptions {
  private final String name;
  private final Path repo;
  private final String branch;
  private final List<String> entrypoint;
  private final String agent;
  private final JailNetwork network;

  private CreateOptions(Builder b) {
    this.name = Objects.requireNonNull(b.name, "name");
    this.repo = Objects.requireNonNull(b.repo, "repo");
    this.branch = b.branch;
    this.entrypoint = List.copyOf(b.entrypoint);
    this.agent = b.agent;
    this.network = b.network;
  }

  /** Options for a jail named {@code name} of the repository at {@code repo}. */
  public static Builder builder(String name, Path repo) {
    return new Builder(name, repo);
  }

  /** The jail's name. */
  public String name() {
    return name;
  }

  /** A directory in the git repository the jail is made from. */
  public Path repo() {
    return repo;
  }

  /** The branch or commit to start from; empty for HEAD. */
  public Optional<String> branch() {
    return Optional.ofNullable(branch).filter(s -> !s.isBlank());
  }

  /** The command {@code enter} runs, as given (not yet resolved); empty for the default. */
  public List<String> entrypoint() {
    return entrypoint;
  }

  /** The agent profile's name; empty to infer one from the entrypoint, or have none. */
  public Optional<String> agent() {
    return Optional.ofNullable(agent).filter(s -> !s.isBlank());
  }

  /**
   * The jail's own network settings, kept in its state and applied at every run; {@link
   * JailNetwork#CONFIG} (the default) follows the configuration.
   */
  public JailNetwork network() {
    return network;
  }

  /** Builds {@link CreateOptions}; not thread-safe. */
  public static final class Builder {
    private final String name;
    private final Path repo;
    private String branch;
    private List<String> entrypoint = List.of();
    private String agent;
    private JailNetwork network = JailNetwork.CONFIG;

    private Builder(String name, Path repo) {
      this.name = Objects.requireNonNull(name, "name");
      this.repo = Objects.requireNonNull(repo, "repo");
    }

    /** The branch or commit to start from; {@code null} or blank for HEAD. */
    public Builder branch(String branch) {
      this.branch = branch;
      return this;
    }

    /**
     * The command {@code enter} runs and its arguments, resolved at create time on PATH (or as an
     * absolute or {@code ~/} path); empty for the agent's command, or the configured shell.
     */
    public Builder entrypoint(List<String> entrypoint) {
      this.entrypoint = entrypoint == null ? List.of() : List.copyOf(entrypoint);
      return this;
    }

    /**
     * The agent profile ({@link AgentProfiles}) the jail is made for; {@code null} to infer it from
     * the entrypoint's program.
     */
    public Builder agent(String agent) {
      this.agent = agent;
      return this;
    }

    /** The jail's own network mode, allowlist entries and host ports. */
    public Builder network(JailNetwork network) {
      this.network = Objects.requireNonNull(network, "network");
      return this;
    }

    public CreateOptions build() {
      return new CreateOptions(this);
    }
  }
}
