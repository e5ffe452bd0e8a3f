package dev.robojail.jail;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What robojail remembers about one jail, as kept by {@link StateStore}.
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
 * @param supervisor the process supervising the jail while it runs, or {@code null}
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
    Supervisor supervisor) {

  public JailState {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(repo, "repo");
    Objects.requireNonNull(branch, "branch");
    Objects.requireNonNull(baseCommit, "baseCommit");
    Objects.requireNonNull(worktree, "worktree");
    Objects.requireNonNull(gitDir, "gitDir");
    Objects.requireNonNull(created, "created");
    entrypoint = List.copyOf(entrypoint);
  }

  /** Whether the jail's supervisor is running; a record left by a crash or a reboot is not. */
  public boolean isAlive() {
    return supervisor != null && supervisor.isAlive();
  }

  /** This state with another supervisor, or {@code null} for none. */
  public JailState withSupervisor(Supervisor newSupervisor) {
    return new JailState(
        name, repo, branch, baseCommit, worktree, gitDir, created, entrypoint, newSupervisor);
  }
}
