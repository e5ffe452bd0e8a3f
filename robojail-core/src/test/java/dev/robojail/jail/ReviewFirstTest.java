package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ReviewFirstTest {
  @ParameterizedTest
  @CsvSource({
    ".githooks/pre-commit, git hook",
    ".husky/pre-push, git hook",
    "sub/.gitattributes, 'git configuration (filters, submodules)'",
    ".gitmodules, 'git configuration (filters, submodules)'",
    ".github/workflows/ci.yml, CI workflow",
    ".gitlab-ci.yml, CI workflow",
    "Jenkinsfile, CI workflow",
    ".envrc, environment loaded by your shell",
    "Makefile, build file",
    "src/GNUmakefile, build file",
    "rules.mk, build file",
    "build.gradle.kts, build file",
    "pom.xml, build file",
    "mod/pom.xml, build file",
    "package.json, package manager scripts or config",
    "web/package.json, package manager scripts or config",
    "pyproject.toml, package manager scripts or config",
    "conftest.py, package manager scripts or config",
    ".vscode/settings.json, editor settings",
    ".VSCode/tasks.json, editor settings",
    ".idea/workspace.xml, editor settings",
    ".claude/settings.json, agent settings or instructions",
    ".claude/commands/x.md, agent settings or instructions",
    ".mcp.json, agent settings or instructions",
    "CLAUDE.md, agent settings or instructions",
    ".bashrc, shell startup file",
  })
  void filesThatRunLaterAreFlagged(String path, String reason) {
    assertEquals(Optional.of(reason), ReviewFirst.reason(path));
  }

  @ParameterizedTest
  @CsvSource({
    "src/Main.java",
    "README.md",
    "docs/makefile-guide.txt",
    "github/notes.txt",
    "package.json.md",
    "mypom.xml"
  })
  void ordinaryFilesAreNot(String path) {
    assertEquals(Optional.empty(), ReviewFirst.reason(path));
  }

  @org.junit.jupiter.api.Test
  void aRenameIsFlaggedByEitherName() {
    FileChange renamed =
        new FileChange(FileChange.Kind.RENAMED, "notes.txt", ".github/workflows/ci.yml", 0, 0);
    assertEquals(
        List.of(new ReviewFirst.Flagged("notes.txt", "CI workflow")),
        ReviewFirst.of(List.of(renamed)));
  }
}
