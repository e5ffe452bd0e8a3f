package dev.robojail.jail;

import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Recognizes changed files that will run on the user's machine later, outside the jail: git hooks
 * and attributes, CI workflows, {@code .envrc}, build files and package-manager scripts, editor and
 * agent settings. A reviewer should read these before anything else: an agent that cannot escape
 * the jail can still plant something the user runs.
 */
public final class ReviewFirst {
  private record Rule(Pattern pattern, String reason) {}

  private static final List<Rule> RULES =
      List.of(
          rule(
              "(^|/)\\.githooks/|(^|/)\\.husky/|(^|/)\\.lefthook/|(^|/)\\.?lefthook(-local)?\\.ya?ml$|(^|/)\\.pre-commit-(config|hooks)\\.ya?ml$",
              "git hook"),
          rule(
              "(^|/)\\.gitattributes$|(^|/)\\.gitmodules$|(^|/)\\.gitconfig$|(^|/)\\.lfsconfig$",
              "git configuration (filters, submodules)"),
          rule(
              "^\\.github/|^\\.gitlab-ci\\.yml$|^\\.gitlab/|^\\.circleci/|(^|/)Jenkinsfile$|^\\.travis\\.yml$|^azure-pipelines\\.yml$|^\\.buildkite/|^\\.drone\\.yml$|^bitbucket-pipelines\\.yml$",
              "CI workflow"),
          rule(
              "(^|/)\\.envrc$|(^|/)\\.env$|(^|/)\\.tool-versions$|(^|/)\\.mise\\.toml$|(^|/)\\.nvmrc$",
              "environment loaded by your shell"),
          rule(
              "(^|/)(GNUmakefile|[Mm]akefile|[^/]*\\.mk|CMakeLists\\.txt|[^/]*\\.cmake|meson\\.build|build\\.rs|build\\.gradle(\\.kts)?|settings\\.gradle(\\.kts)?|gradlew(\\.bat)?|gradle/wrapper/.*|gradle\\.properties|buildSrc/.*|pom\\.xml|mvnw(\\.cmd)?|\\.mvn/.*|build\\.xml|BUILD(\\.bazel)?|WORKSPACE(\\.bazel)?|MODULE\\.bazel|[^/]*\\.bzl|\\.bazelrc|\\.bazelversion|Directory\\.Build\\.(props|targets)|Directory\\.Packages\\.props|[^/]*\\.csproj|justfile|Taskfile\\.ya?ml|Rakefile|Dockerfile|docker-compose\\.ya?ml|compose\\.ya?ml)$",
              "build file"),
          rule(
              "(^|/)(package\\.json|\\.npmrc|\\.yarnrc(\\.yml)?|pnpm-workspace\\.yaml|setup\\.py|setup\\.cfg|pyproject\\.toml|tox\\.ini|noxfile\\.py|conftest\\.py|Cargo\\.toml|\\.cargo/config(\\.toml)?|Gemfile|[^/]*\\.gemspec|composer\\.json|go\\.mod|mix\\.exs|\\.pnpmfile\\.cjs|bunfig\\.toml|\\.yarn/(plugins|releases)/.*)$",
              "package manager scripts or config"),
          rule(
              "(^|/)(package-lock\\.json|npm-shrinkwrap\\.json|yarn\\.lock|pnpm-lock\\.yaml|bun\\.lockb?|Cargo\\.lock|poetry\\.lock|uv\\.lock|Pipfile\\.lock|requirements[^/]*\\.txt|Gemfile\\.lock|composer\\.lock|go\\.sum|gradle\\.lockfile|flake\\.lock|packages\\.lock\\.json)$",
              "lockfile (what your package manager will download and run)"),
          anyCase(
              "(^|/)\\.vscode/|(^|/)\\.idea/|(^|/)\\.devcontainer/|(^|/)\\.devcontainer\\.json$|(^|/)\\.editorconfig$|(^|/)[^/]*\\.code-workspace$|(^|/)\\.(exrc|nvimrc|vimrc|nvim\\.lua)$|(^|/)\\.dir-locals(-2)?\\.el$",
              "editor settings"),
          anyCase(
              "(^|/)\\.claude/|(^|/)\\.mcp\\.json$|(^|/)CLAUDE\\.md$|(^|/)AGENTS\\.md$|(^|/)\\.cursor/|(^|/)\\.cursorrules$|(^|/)\\.codex/|(^|/)\\.aider[^/]*$|(^|/)\\.continue/|(^|/)\\.gemini/",
              "agent settings or instructions"),
          rule(
              "(^|/)\\.(bashrc|bash_profile|profile|zshrc|zprofile|zshenv|inputrc)$",
              "shell startup file"));

  private ReviewFirst() {}

  private static Rule rule(String regex, String reason) {
    return new Rule(Pattern.compile(regex), reason);
  }

  // Agent and editor tools accept their files in either case on some systems.
  private static Rule anyCase(String regex, String reason) {
    return new Rule(Pattern.compile(regex, Pattern.CASE_INSENSITIVE), reason);
  }

  /** Why this repository-relative path deserves a look first, or empty. */
  public static Optional<String> reason(String path) {
    String p = path.startsWith("./") ? path.substring(2) : path;
    for (Rule r : RULES) {
      if (r.pattern().matcher(p).find()) {
        return Optional.of(r.reason());
      }
    }
    return Optional.empty();
  }

  /**
   * A changed file to review first.
   *
   * @param path the file (for a rename, its new path; the old one may be what matched)
   * @param reason why
   */
  public record Flagged(String path, String reason) {}

  /** The paths of a merge that should be reviewed first, in their order. */
  public static List<Flagged> ofPaths(List<String> paths) {
    return paths.stream().flatMap(p -> reason(p).map(r -> new Flagged(p, r)).stream()).toList();
  }

  /** The changes of a status that should be reviewed first, in their order. */
  public static List<Flagged> of(List<FileChange> changes) {
    return changes.stream()
        .flatMap(
            c ->
                reason(c.path())
                    .or(() -> c.oldPath() == null ? Optional.empty() : reason(c.oldPath()))
                    .map(r -> new Flagged(c.path(), r))
                    .stream())
        .toList();
  }
}
