package dev.robojail.jail;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Merges a jail's branch into the user's current branch in two steps: a {@link MergePlan} to show,
 * then the merge of exactly that plan, refused if anything moved in between.
 */
final class JailMerger {
  private final Git git;
  private final JailImporter importer;
  private final Path home;

  JailMerger(Git git, JailImporter importer, Path home) {
    this.git = git;
    this.importer = importer;
    this.home = home;
  }

  /** See {@link Jails#planMerge(String)}. */
  MergePlan plan(JailState jail) {
    importer.importBranch(jail);
    Path repo = jail.repo();
    String into = currentBranch(repo);
    requireClean(repo);
    String head = git.revParse(repo, "HEAD");
    String tip = git.revParse(repo, "refs/heads/" + jail.branch());
    List<String> commits =
        git.run(repo, "log", "--no-color", "--no-decorate", "--format=%h %s", head + ".." + tip)
            .lines()
            .map(TerminalSafe::sanitizeLine)
            .toList();
    String stat =
        commits.isEmpty()
            ? ""
            : TerminalSafe.sanitize(
                git.run(
                    repo,
                    "diff",
                    "--no-color",
                    "--no-ext-diff",
                    "--no-textconv",
                    "--stat",
                    head + "..." + tip));
    return new MergePlan(jail.name(), repo, jail.branch(), into, head, tip, commits, stat);
  }

  /** See {@link Jails#merge(MergePlan)}. */
  String merge(JailState jail, MergePlan plan) {
    Path repo = jail.repo();
    if (!currentBranch(repo).equals(plan.into())
        || !git.revParse(repo, "HEAD").equals(plan.head())
        || !git.revParse(repo, "refs/heads/" + jail.branch()).equals(plan.tip())) {
      throw new JailConflictException(
          "the repository or the jail's branch changed since the merge was shown; run merge again");
    }
    requireClean(repo);
    if (plan.isEmpty()) {
      return plan.head();
    }
    Map<String, String> identity = new LinkedHashMap<>(git.identity(repo, home));
    identity.putIfAbsent("name", "robojail");
    identity.putIfAbsent("email", "robojail@localhost");
    // No filter or merge driver runs, whoever's attributes select it; see Git#withoutDrivers.
    Git.Result r =
        git.command(repo)
            .env(git.withoutDrivers(repo))
            .args(
                "-c",
                "user.name=" + identity.get("name"),
                "-c",
                "user.email=" + identity.get("email"),
                "merge",
                "--no-edit",
                "--no-stat",
                "-m",
                "Merge jail " + plan.name() + " (" + plan.branch() + ")",
                plan.tip())
            .allowFailure()
            .run();
    if (r.exitCode() != 0) {
      if (!git.run(repo, "ls-files", "--unmerged").isEmpty()) {
        throw new JailException(
            "the merge stopped with conflicts in "
                + TerminalSafe.sanitizeLine(repo.toString())
                + "; resolve them and commit, or run: git merge --abort");
      }
      throw new GitException(List.of("merge", plan.tip()), r.exitCode(), r.stderr());
    }
    return git.revParse(repo, "HEAD");
  }

  private String currentBranch(Path repo) {
    Git.Result r =
        git.command(repo).args("symbolic-ref", "-q", "--short", "HEAD").allowFailure().run();
    if (r.exitCode() != 0 || r.line().isEmpty()) {
      throw new JailConflictException(
          "the repository "
              + TerminalSafe.sanitizeLine(repo.toString())
              + " is not on a branch; check out the branch to merge into");
    }
    return r.line();
  }

  private void requireClean(Path repo) {
    String dirty =
        git.run(repo, "status", "--porcelain", "--untracked-files=no", "--ignore-submodules=all");
    if (!dirty.isEmpty()) {
      throw new JailConflictException(
          "the repository "
              + TerminalSafe.sanitizeLine(repo.toString())
              + " has uncommitted changes; commit or stash them before merging");
    }
  }
}
