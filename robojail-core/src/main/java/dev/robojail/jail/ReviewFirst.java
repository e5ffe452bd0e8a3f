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

  /**
   * The paths of a merge that should be reviewed first, in their order; {@code gitmodules} is the
   * merged {@code .gitmodules}, if any, for what it says.
   */
  static List<Flagged> ofPaths(List<String> paths, Optional<String> gitmodules) {
    return paths.stream()
        .flatMap(p -> reason(p, gitmodules).map(r -> new Flagged(p, r)).stream())
        .toList();
  }

  /** The paths of a merge that should be reviewed first, in their order. */
  public static List<Flagged> ofPaths(List<String> paths) {
    return ofPaths(paths, Optional.empty());
  }

  /** The changes of a status that should be reviewed first, in their order. */
  public static List<Flagged> of(List<FileChange> changes) {
    return of(changes, Optional.empty());
  }

  /**
   * The changes of a status that should be reviewed first, in their order; {@code gitmodules} is
   * the jail's {@code .gitmodules}, if any, for what it says.
   */
  static List<Flagged> of(List<FileChange> changes, Optional<String> gitmodules) {
    return changes.stream()
        .flatMap(
            c ->
                (c.kind() == FileChange.Kind.SUBMODULE
                        ? Optional.of(submoduleReason(c.oldCommit(), c.newCommit()))
                        : reason(c.path(), gitmodules)
                            .or(
                                () ->
                                    c.oldPath() == null
                                        ? Optional.empty()
                                        : reason(c.oldPath(), gitmodules)))
                    .map(r -> new Flagged(c.path(), r)).stream())
        .toList();
  }

  private static Optional<String> reason(String path, Optional<String> gitmodules) {
    if (path.equals(".gitmodules") && gitmodules.isPresent()) {
      Optional<String> said = gitmodules(gitmodules.get());
      if (said.isPresent()) {
        return said;
      }
    }
    return reason(path);
  }

  /** Why a submodule pointer change is flagged: its old and new commit ({@code null}: none). */
  static String submoduleReason(String oldCommit, String newCommit) {
    return "submodule pointer " + abbrev(oldCommit) + " -> " + abbrev(newCommit);
  }

  private static String abbrev(String id) {
    return id == null ? "none" : id.substring(0, Math.min(12, id.length()));
  }

  private static final Pattern GITMODULES_LINE =
      Pattern.compile("^\\s*(update|url|path)\\s*=\\s*(.*?)\\s*$", Pattern.CASE_INSENSITIVE);

  /**
   * What a {@code .gitmodules} asks of a git on the host beyond fetching: {@code update = !cmd}
   * runs a command on {@code git submodule update}; an {@code ext::} URL runs one on clone; a URL
   * or path starting with {@code -} is read as an option by older gits; a path with {@code ..}
   * leaves the repository. Empty when it asks none of that.
   */
  static Optional<String> gitmodules(String content) {
    List<String> found = new java.util.ArrayList<>();
    for (String line : content.lines().toList()) {
      java.util.regex.Matcher m = GITMODULES_LINE.matcher(line);
      if (!m.matches()) {
        continue;
      }
      String key = m.group(1).toLowerCase(java.util.Locale.ROOT);
      String value = m.group(2);
      boolean danger =
          switch (key) {
            case "update" -> value.startsWith("!");
            case "url" -> value.regionMatches(true, 0, "ext::", 0, 5) || value.startsWith("-");
            default -> value.startsWith("-") || value.matches("(.*/)?\\.\\.(/.*)?");
          };
      if (danger) {
        String shown = TerminalSafe.sanitizeLine(value);
        found.add(key + " = " + (shown.length() > 60 ? shown.substring(0, 60) + "…" : shown));
      }
    }
    return found.isEmpty()
        ? Optional.empty()
        : Optional.of("submodules that run a command on the host: " + String.join(", ", found));
  }
}
