package dev.robojail.jail;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
    List<ReviewFirst.Flagged> review =
        commits.isEmpty()
            ? List.of()
            : ReviewFirst.ofPaths(
                WorktreeSnapshot.nulSeparated(
                    git.run(
                        repo,
                        "diff",
                        "--name-only",
                        "-z",
                        "--no-renames",
                        "--no-ext-diff",
                        "--no-textconv",
                        head + "..." + tip)),
                gitmodules(repo, tip));
    if (!commits.isEmpty()) {
      review = new java.util.ArrayList<>(review);
      review.addAll(gitlinks(repo, head, tip));
    }
    return new MergePlan(
        jail.name(),
        repo,
        jail.branch(),
        into,
        head,
        tip,
        commits,
        stat,
        review,
        controlCharacterWarnings(repo, head, tip));
  }

  // Submodule pointers: the hardened configuration ignores submodules in diffs, so the stat above
  // does not show them, yet the merge moves them, and the user's next `git submodule update`
  // checks out whatever commit the jail chose.
  private List<ReviewFirst.Flagged> gitlinks(Path repo, String head, String tip) {
    String raw =
        git.run(
            repo,
            "diff",
            "--raw",
            "-z",
            "--no-abbrev",
            "--no-renames",
            "--ignore-submodules=none",
            head + "..." + tip);
    return ReviewFirst.of(JailInspector.submodules(JailInspector.parseRaw(raw)));
  }

  // The .gitmodules being merged, read as a blob (cat-file runs no filter), for what it asks.
  private Optional<String> gitmodules(Path repo, String tip) {
    Git.Result r =
        git.command(repo).args("cat-file", "blob", tip + ":.gitmodules").allowFailure().run();
    return r.exitCode() == 0 ? Optional.of(r.out()) : Optional.empty();
  }

  // A commit message, author or committer holding terminal controls reaches the user's terminal
  // raw through a plain `git log` after the merge; git prints them as they are.
  private List<String> controlCharacterWarnings(Path repo, String head, String tip) {
    String log =
        git.run(
            repo,
            "log",
            "-z",
            "--no-color",
            "--format=%h%x01%an%x01%ae%x01%cn%x01%ce%x01%B",
            head + ".." + tip);
    List<String> warnings = new java.util.ArrayList<>();
    for (String commit : WorktreeSnapshot.nulSeparated(log)) {
      String[] fields = commit.split("\u0001", 6);
      boolean control = false;
      for (int i = 1; i < fields.length; i++) {
        boolean message = i == 5;
        control |= fields[i].chars().anyMatch(c -> isControl(c, message));
      }
      if (control) {
        warnings.add(
            "commit "
                + TerminalSafe.sanitizeLine(fields[0])
                + " has terminal control characters in its message or author; a plain git log"
                + " will send them to your terminal (git log | cat -v shows them)");
      }
    }
    return warnings;
  }

  private static boolean isControl(int c, boolean message) {
    if (message && (c == '\n' || c == '\t')) {
      return false;
    }
    return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f);
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
