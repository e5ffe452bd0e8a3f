package dev.robojail.jail;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What robojail remembers about one jail, as kept by {@link StateStore}.
 *
 * <p>A jail moves through a lifecycle ({@link Phase}); every move happens inside one {@link
 * StateStore#update}, so two robojail processes never both believe they may act on it. {@code
 * CREATING}, {@code DESTROYING} and {@code REMOVING} belong to the process in {@code owner}; when
 * that process is gone (killed, crashed), the next robojail command finishes or undoes its work
 * ({@link JailRecovery}).
 *
 * @param name the jail's name
 * @param repo the user's repository the jail was made from
 * @param branch the jail's branch, e.g. {@code robojail/NAME}
 * @param baseCommit the full id of the commit the branch started at
 * @param worktree the jail's linked worktree
 * @param gitDir the jail's private git directory ({@code <data dir>/gitdirs/<name>.git}, see {@link
 *     JailGitDir}), the only git directory the jail can write to. Jails made by earlier versions
 *     record their linked worktree's administrative directory ({@code <repo>/.git/worktrees/<id>})
 *     here instead. Host-side git never uses it as its git directory.
 * @param created when the jail was made
 * @param entrypoint the command the jail runs by default; empty for the configured shell
 * @param phase where the jail is in its lifecycle
 * @param owner the process creating or destroying the jail; {@code null} when it is {@code READY}
 * @param sessions the processes supervising a command in the jail, one per session, from the jail's
 *     session records ({@link SessionRecords}), not from the state file; a record left by a crash
 *     or a reboot stays until the next session starts, and is not {@linkplain #liveSessions() live}
 * @param agent the agent profile the jail was made for ({@link AgentProfile}); empty for none
 * @param network the network settings the jail was created with; {@link JailNetwork#CONFIG} to
 *     follow the configuration
 */
public record JailState(
    JailName name,
    Path repo,
    String branch,
    String baseCommit,
    Path worktree,
    Path gitDir,
    Instant created,
    List<String> entrypoint,
    Phase phase,
    Supervisor owner,
    List<Supervisor> sessions,
    String agent,
    JailNetwork network) {

  /** Where a jail is in its lifecycle: creating → ready (running with N sessions) → destroying. */
  public enum Phase {
    /** Its branch, git directory and worktree are being made; nothing may use it yet. */
    CREATING,
    /** Complete: it can run, and be inspected, merged and destroyed. */
    READY,
    /**
     * A destroy is checking it (importing its commits, looking for uncommitted work): nothing may
     * start in it, and nothing is deleted yet. A destroy that stops here leaves it {@code READY}.
     */
    DESTROYING,
    /** A destroy decided to delete it and is deleting its files: the next command finishes it. */
    REMOVING
  }

  public JailState {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(repo, "repo");
    Objects.requireNonNull(branch, "branch");
    Objects.requireNonNull(baseCommit, "baseCommit");
    Objects.requireNonNull(worktree, "worktree");
    Objects.requireNonNull(gitDir, "gitDir");
    Objects.requireNonNull(created, "created");
    Objects.requireNonNull(phase, "phase");
    agent = agent == null ? "" : agent;
    entrypoint = List.copyOf(entrypoint);
    sessions = List.copyOf(sessions);
    if (network == null) {
      network = JailNetwork.CONFIG;
    }
    if (phase == Phase.READY && owner != null) {
      throw new IllegalArgumentException("a ready jail has no owner");
    }
    if (phase != Phase.READY && owner == null) {
      throw new IllegalArgumentException("a " + phase + " jail needs an owner");
    }
  }

  /** A ready jail with at most one session, as jails were before the lifecycle. */
  public JailState(
      JailName name,
      Path repo,
      String branch,
      String baseCommit,
      Path worktree,
      Path gitDir,
      Instant created,
      List<String> entrypoint,
      Supervisor supervisor) {
    this(
        name,
        repo,
        branch,
        baseCommit,
        worktree,
        gitDir,
        created,
        entrypoint,
        Phase.READY,
        null,
        supervisor == null ? List.of() : List.of(supervisor),
        "",
        JailNetwork.CONFIG);
  }

  /** The sessions whose supervisors are still running. */
  public List<Supervisor> liveSessions() {
    return sessions.stream().filter(Supervisor::isAlive).toList();
  }

  /** Whether a command runs in the jail: some session's supervisor is still running. */
  public boolean isAlive() {
    return sessions.stream().anyMatch(Supervisor::isAlive);
  }

  /** The first live session's supervisor, or {@code null} when nothing runs in the jail. */
  public Supervisor supervisor() {
    return sessions.stream().filter(Supervisor::isAlive).findFirst().orElse(null);
  }

  /**
   * Whether a create or destroy left this jail half-way: its phase is not {@code READY} and the
   * process that owned it is gone.
   */
  public boolean isInterrupted() {
    return phase != Phase.READY && !owner.isAlive();
  }

  /**
   * This state with these sessions: those {@link StateStore} read from the jail's {@link
   * SessionRecords}.
   */
  public JailState withSessions(List<Supervisor> newSessions) {
    return with(repo, phase, owner, newSessions, network);
  }

  /** This state in another phase, owned by {@code newOwner} ({@code null} for {@code READY}). */
  public JailState inPhase(Phase newPhase, Supervisor newOwner) {
    return with(repo, newPhase, newOwner, sessions, network);
  }

  /** This state pointing at the user's repository in another place. */
  public JailState withRepo(Path newRepo) {
    return with(newRepo, phase, owner, sessions, network);
  }

  /** This state with these network settings. */
  public JailState withNetwork(JailNetwork newNetwork) {
    return with(repo, phase, owner, sessions, newNetwork);
  }

  // What changes in a jail's life; the rest is fixed when it is created.
  private JailState with(
      Path newRepo,
      Phase newPhase,
      Supervisor newOwner,
      List<Supervisor> newSessions,
      JailNetwork newNetwork) {
    return new JailState(
        name,
        newRepo,
        branch,
        baseCommit,
        worktree,
        gitDir,
        created,
        entrypoint,
        newPhase,
        newOwner,
        newSessions,
        agent,
        newNetwork);
  }
}
