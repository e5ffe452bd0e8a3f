package dev.robojail.jail;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.util.Optional;

/**
 * Brings a jail's commits into the user's repository, for status, merge and destroy alike; {@link
 * JailGitDir#importBranch} does the work, this decides whether there is anything to import.
 */
final class JailImporter {
  private final Git git;
  private final JailLayout layout;

  JailImporter(Git git, JailLayout layout) {
    this.git = git;
    this.layout = layout;
  }

  /**
   * Imports the jail's branch, if the jail has a private git directory (a jail made before them
   * commits straight to the user's repository).
   */
  JailGitDir.Import importBranch(JailState jail) {
    if (!layout.hasPrivateGitDir(jail)
        || !Files.isDirectory(jail.gitDir(), LinkOption.NOFOLLOW_LINKS)) {
      return new JailGitDir.Import(false, Optional.empty());
    }
    return JailGitDir.importBranch(
        git, jail.repo(), jail.gitDir(), jail.branch(), () -> layout.newTemp("import"));
  }
}
