package dev.robojail.jail;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What {@link Jails#merge} will do, for the user to confirm first: the jail's branch, already
 * imported into the user's repository, merged into the repository's current branch.
 *
 * @param name the jail
 * @param repo the user's working tree the merge happens in
 * @param branch the jail's branch in the user's repository
 * @param into the current branch of the user's repository, e.g. {@code main}
 * @param head the commit {@code into} points at now
 * @param tip the commit of the jail's branch to merge
 * @param commits the commits to merge, one line each ({@code abbreviated-id subject}), newest
 *     first, safe to print
 * @param stat {@code git diff --stat} of the changes the merge brings, safe to print
 * @param reviewFirst the files the merge brings that will run on the user's machine ({@link
 *     ReviewFirst}); paths as git stores them, to print through {@link TerminalSafe}
 * @param warnings what else to know before merging (such as commit messages that would drive the
 *     user's terminal in a plain {@code git log}), safe to print
 */
public record MergePlan(
    JailName name,
    Path repo,
    String branch,
    String into,
    String head,
    String tip,
    List<String> commits,
    String stat,
    List<ReviewFirst.Flagged> reviewFirst,
    List<String> warnings) {
  public MergePlan {
    Objects.requireNonNull(name, "name");
    commits = List.copyOf(commits);
    reviewFirst = List.copyOf(reviewFirst);
    warnings = List.copyOf(warnings);
  }

  /** Whether there is nothing to merge. */
  public boolean isEmpty() {
    return commits.isEmpty();
  }
}
