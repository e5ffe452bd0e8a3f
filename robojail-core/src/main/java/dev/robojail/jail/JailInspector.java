package dev.robojail.jail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Computes what a jail changed, from the host, with hardened git and without trusting the jail's
 * git files; see {@link WorktreeSnapshot} for what is not trusted and why.
 */
public final class JailInspector {
  /** Files larger than this are summarised in a diff instead of shown. */
  public static final long LARGE_FILE = 1 << 20;

  private static final String SYMLINK_MODE = "120000";
  private static final String GITLINK_MODE = "160000";
  private static final List<String> DIFF_OPTIONS =
      List.of(
          "-M",
          "--no-ext-diff",
          "--no-textconv",
          "--ignore-submodules=all",
          "--no-relative",
          "-O/dev/null");

  private final Git git;
  private final Function<JailName, Path> checkoutIndex;
  private final Supplier<Path> scratch;

  public JailInspector(Git git) {
    this(git, name -> null, null);
  }

  /**
   * An inspector that starts from each jail's checkout index, a host-only copy of the index written
   * when the jail's worktree was checked out (see {@link WorktreeSnapshot}).
   *
   * @param checkoutIndex where a jail's checkout index is, or {@code null} for none
   * @param scratch makes a temporary directory for the index; {@code null} for one in {@code
   *     java.io.tmpdir}
   */
  JailInspector(Git git, Function<JailName, Path> checkoutIndex, Supplier<Path> scratch) {
    this.git = git;
    this.checkoutIndex = checkoutIndex;
    this.scratch = scratch;
  }

  private WorktreeSnapshot snapshot(JailState jail) {
    return WorktreeSnapshot.of(
        git, jail, jail.baseCommit(), checkoutIndex.apply(jail.name()), scratch);
  }

  /**
   * The jail's changes against its base commit: committed, uncommitted and untracked.
   *
   * @throws GitException if git fails
   * @throws JailException if the worktree is gone
   */
  public JailStatus status(JailState jail) {
    return status(jail, Optional.empty());
  }

  /**
   * The jail's changes, as {@link #status(JailState)}, when the caller knows already which commit
   * the user's branch of the jail points at ({@code knownTip}); empty to have git look it up.
   *
   * <p>Git runs as few times as it can: the temporary index (read-tree, a refresh that hashes the
   * worktree once, the untracked files and their intent-to-add entries), then one diff for both the
   * changes and their line counts. Counting commits and comparing with the branch tip are only
   * needed when the branch moved from its base.
   */
  JailStatus status(JailState jail, Optional<String> knownTip) {
    try (WorktreeSnapshot snapshot = snapshot(jail)) {
      String base = jail.baseCommit();
      Changes diff = changes(snapshot, base);
      String tip = knownTip.isPresent() ? knownTip.get() : tip(snapshot, jail.branch());
      boolean moved = tip != null && !tip.equals(base);
      int commits = 0;
      Set<String> committed = Set.of();
      List<FileChange> submodules = List.of();
      // Where the worktree differs from the branch tip, and how (git's A, D, M or T).
      Map<String, Character> beyondTip = new HashMap<>();
      if (moved) {
        commits = Integer.parseInt(snapshot.git("rev-list", "--count", base + ".." + tip).strip());
        List<RawEntry> commitsRaw = committedRaw(snapshot, base, tip);
        committed = new HashSet<>();
        for (RawEntry e : commitsRaw) {
          committed.add(e.path());
        }
        submodules = submodules(commitsRaw);
        List<String> args = new ArrayList<>(List.of("diff", "--raw", "-z", "--no-abbrev"));
        args.addAll(DIFF_OPTIONS);
        args.add("--no-renames");
        args.add(tip);
        for (RawEntry e : parseRaw(snapshot.run(args, true).out())) {
          beyondTip.put(e.path(), e.status());
        }
      } else {
        for (RawEntry e : diff.raw()) {
          beyondTip.put(e.path(), e.status() == 'R' || e.status() == 'C' ? 'A' : e.status());
          if (e.oldPath() != null && e.status() == 'R') {
            beyondTip.put(e.oldPath(), 'D');
          }
        }
      }
      boolean sha256 = base.length() == 64;
      Optional<JailIndex> index = JailIndex.read(jail.gitDir().resolve("index"), sha256);
      List<FileChange> changes = new ArrayList<>();
      long insertions = 0;
      long deletions = 0;
      for (RawEntry e : diff.raw()) {
        int[] lines = diff.numstat().getOrDefault(e.path(), new int[] {-1, -1});
        boolean inCommits =
            committed.contains(e.path())
                || (e.oldPath() != null && committed.contains(e.oldPath()));
        Character rest = beyondTip.get(e.path());
        if (rest == null && e.oldPath() != null) {
          rest = beyondTip.get(e.oldPath());
        }
        FileChange.Uncommitted state =
            rest == null
                ? FileChange.Uncommitted.NONE
                : uncommitted(e.path(), rest, index, snapshot.worktree(), sha256);
        changes.add(
            new FileChange(e.kind(), e.path(), e.oldPath(), lines[0], lines[1])
                .withState(inCommits, state));
        insertions += Math.max(0, lines[0]);
        deletions += Math.max(0, lines[1]);
      }
      for (String nested : snapshot.nestedRepositories()) {
        changes.add(
            new FileChange(FileChange.Kind.NESTED_REPOSITORY, nested, null, -1, -1)
                .withState(false, FileChange.Uncommitted.UNTRACKED));
      }
      changes.addAll(submodules);
      boolean uncommitted =
          moved
              ? !beyondTip.isEmpty() || !snapshot.nestedRepositories().isEmpty()
              : !diff.raw().isEmpty() || !snapshot.nestedRepositories().isEmpty();
      Optional<String> gitmodules =
          changes.stream().anyMatch(c -> c.path().equals(".gitmodules"))
              ? readSmall(snapshot.worktree().resolve(".gitmodules"))
              : Optional.empty();
      return new JailStatus(
          jail.name(),
          jail.branch(),
          base,
          changes,
          insertions,
          deletions,
          commits,
          uncommitted,
          ReviewFirst.of(changes, gitmodules));
    }
  }

  // What of a change beyond the branch tip the jail's own index holds; without an index robojail
  // can read, nothing is staged.
  private static FileChange.Uncommitted uncommitted(
      String path, char status, Optional<JailIndex> index, Path worktree, boolean sha256) {
    boolean known = index.isPresent() && index.get().contains(path);
    if (status == 'D') {
      return known || index.isEmpty()
          ? FileChange.Uncommitted.UNSTAGED
          : FileChange.Uncommitted.STAGED;
    }
    if (!known) {
      return status == 'A' ? FileChange.Uncommitted.UNTRACKED : FileChange.Uncommitted.UNSTAGED;
    }
    return index.get().matches(path, worktree, sha256)
        ? FileChange.Uncommitted.STAGED
        : FileChange.Uncommitted.UNSTAGED;
  }

  // Tree to tree, so that no submodule's repository is opened: the pointers are plain entries.
  private static List<RawEntry> committedRaw(WorktreeSnapshot snapshot, String base, String tip) {
    return parseRaw(
        snapshot.git(
            "diff",
            "--raw",
            "-z",
            "--no-abbrev",
            "--no-renames",
            "--no-ext-diff",
            "--no-textconv",
            "--ignore-submodules=none",
            base,
            tip));
  }

  /**
   * The submodule pointers among raw entries of a tree-to-tree diff: the hardened configuration
   * ignores submodules in every diff, so nothing else shows them, yet a merge moves them.
   */
  static List<FileChange> submodules(List<RawEntry> raw) {
    List<FileChange> gitlinks = new ArrayList<>();
    for (RawEntry e : raw) {
      boolean before = e.oldMode().equals(GITLINK_MODE);
      boolean after = e.newMode().equals(GITLINK_MODE);
      if (before || after) {
        gitlinks.add(
            FileChange.submodule(e.path(), before ? e.oldId() : null, after ? e.newId() : null));
      }
    }
    return gitlinks;
  }

  private static Optional<String> readSmall(Path file) {
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty(); // and never opened: a FIFO would block
    }
    try (var c =
        Files.newByteChannel(
            file, java.nio.file.StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      byte[] b = java.nio.channels.Channels.newInputStream(c).readNBytes(1 << 20);
      return Optional.of(new String(b, java.nio.charset.StandardCharsets.UTF_8));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * The full diff from the jail's base commit to its working tree, safe to print on a terminal: new
   * files are included; binary files and files over {@link #LARGE_FILE} are summarised with their
   * size; symlinks are shown as {@code symlink -> target} and never followed; control characters
   * are made visible by {@link TerminalSafe}.
   */
  public String diff(JailState jail) {
    String base = jail.baseCommit();
    try (WorktreeSnapshot snapshot = snapshot(jail)) {
      List<RawEntry> raw = raw(snapshot, base);
      List<String> args =
          new ArrayList<>(
              List.of(
                  "-c",
                  "core.bigFileThreshold=" + LARGE_FILE,
                  "diff",
                  "--no-color",
                  "--src-prefix=a/",
                  "--dst-prefix=b/"));
      args.addAll(DIFF_OPTIONS);
      args.add(base);
      String patch = snapshot.run(args, true).out();
      StringBuilder out = new StringBuilder(patch.length() + 256);
      List<String> sections = sections(patch);
      int expected = raw.stream().mapToInt(e -> e.status() == 'T' ? 2 : 1).sum();
      if (sections.size() != expected) {
        // Cannot match sections to files; git's own output is still safe once sanitized.
        out.append(patch);
      } else {
        int s = 0;
        for (RawEntry e : raw) {
          for (int n = e.status() == 'T' ? 2 : 1; n > 0; n--) {
            out.append(render(sections.get(s++), e, snapshot));
          }
        }
      }
      for (String nested : snapshot.nestedRepositories()) {
        out.append("Nested repository ").append(nested).append(" (not inspected)\n");
      }
      String tip = tip(snapshot, jail.branch());
      if (tip != null && !tip.equals(base)) {
        for (FileChange c : submodules(committedRaw(snapshot, base, tip))) {
          out.append("Submodule ")
              .append(c.path())
              .append(' ')
              .append(c.submoduleChange())
              .append(": ")
              .append(c.oldCommit() == null ? "none" : c.oldCommit())
              .append(" -> ")
              .append(c.newCommit() == null ? "none" : c.newCommit())
              .append(" (committed in the jail)\n");
        }
      }
      return TerminalSafe.sanitize(out.toString());
    }
  }

  /** One line of {@code git diff --raw -z}. */
  record RawEntry(
      String oldMode,
      String newMode,
      String oldId,
      String newId,
      char status,
      String path,
      String oldPath) {
    FileChange.Kind kind() {
      return switch (status) {
        case 'A' -> FileChange.Kind.ADDED;
        case 'D' -> FileChange.Kind.DELETED;
        case 'R', 'C' -> FileChange.Kind.RENAMED;
        case 'T' -> FileChange.Kind.TYPE_CHANGED;
        default -> FileChange.Kind.MODIFIED;
      };
    }
  }

  private static List<RawEntry> raw(WorktreeSnapshot snapshot, String base) {
    List<String> args = new ArrayList<>(List.of("diff", "--raw", "-z", "--no-abbrev"));
    args.addAll(DIFF_OPTIONS);
    args.add(base);
    return parseRaw(snapshot.run(args, true).out());
  }

  // Format: ":OLDMODE NEWMODE OLDID NEWID STATUS[SCORE]\0PATH\0" with a second path for R and C.
  static List<RawEntry> parseRaw(String output) {
    List<String> fields = WorktreeSnapshot.nulSeparated(output);
    List<RawEntry> entries = new ArrayList<>();
    for (int i = 0; i < fields.size(); ) {
      String[] meta = fields.get(i++).substring(1).split(" ");
      char status = meta[4].charAt(0);
      if (status == 'R' || status == 'C') {
        String from = fields.get(i++);
        String to = fields.get(i++);
        entries.add(new RawEntry(meta[0], meta[1], meta[2], meta[3], status, to, from));
      } else {
        entries.add(
            new RawEntry(meta[0], meta[1], meta[2], meta[3], status, fields.get(i++), null));
      }
    }
    return entries;
  }

  /** The raw entries and line counts of one {@code git diff --raw --numstat -z}. */
  record Changes(List<RawEntry> raw, Map<String, int[]> numstat) {}

  private static Changes changes(WorktreeSnapshot snapshot, String base) {
    List<String> args = new ArrayList<>(List.of("diff", "--raw", "--numstat", "-z", "--no-abbrev"));
    args.addAll(DIFF_OPTIONS);
    args.add(base);
    return parseRawNumstat(snapshot.run(args, true).out());
  }

  // The raw entries (each starting with ':') come first, then the numstat entries.
  static Changes parseRawNumstat(String output) {
    List<String> fields = WorktreeSnapshot.nulSeparated(output);
    int i = 0;
    while (i < fields.size() && fields.get(i).startsWith(":")) {
      char status = fields.get(i).charAt(fields.get(i).lastIndexOf(' ') + 1);
      i += status == 'R' || status == 'C' ? 3 : 2;
    }
    i = Math.min(i, fields.size());
    return new Changes(
        parseRaw(joinNul(fields.subList(0, i))),
        parseNumstat(joinNul(fields.subList(i, fields.size()))));
  }

  private static String joinNul(List<String> fields) {
    return fields.isEmpty() ? "" : String.join("\0", fields) + "\0";
  }

  // Format: "ADDED\tDELETED\tPATH\0", or "ADDED\tDELETED\t\0OLD\0NEW\0" for a rename; "-" for
  // binary files.
  static Map<String, int[]> parseNumstat(String output) {
    List<String> fields = WorktreeSnapshot.nulSeparated(output);
    Map<String, int[]> result = new HashMap<>();
    for (int i = 0; i < fields.size(); ) {
      String[] parts = fields.get(i++).split("\t", 3);
      String path = parts[2];
      if (path.isEmpty()) {
        i++; // old path
        path = fields.get(i++);
      }
      result.put(path, new int[] {count(parts[0]), count(parts[1])});
    }
    return result;
  }

  private static int count(String field) {
    return field.equals("-") ? -1 : Integer.parseInt(field);
  }

  private static String tip(WorktreeSnapshot snapshot, String branch) {
    Git.Result r =
        snapshot.inRepository(
            List.of("rev-parse", "--verify", "--quiet", "refs/heads/" + branch + "^{commit}"));
    return r.exitCode() == 0 ? r.line() : null;
  }

  /** The patch split before each {@code diff --git} line, which cannot occur inside a hunk. */
  static List<String> sections(String patch) {
    List<String> sections = new ArrayList<>();
    int start = patch.startsWith("diff --git ") ? 0 : -1;
    int at = 0;
    while ((at = patch.indexOf("\ndiff --git ", at)) >= 0) {
      if (start >= 0) {
        sections.add(patch.substring(start, at + 1));
      }
      start = at + 1;
      at = start;
    }
    if (start >= 0) {
      sections.add(patch.substring(start));
    }
    return sections;
  }

  private String render(String section, RawEntry entry, WorktreeSnapshot snapshot) {
    List<String> lines = section.lines().toList();
    boolean deletion = lines.stream().anyMatch(l -> l.startsWith("deleted file mode "));
    boolean symlink =
        lines.stream()
            .takeWhile(l -> !l.startsWith("@@"))
            .anyMatch(l -> l.endsWith(" " + SYMLINK_MODE));
    StringBuilder out = new StringBuilder(section.length());
    for (String line : lines) {
      if (line.startsWith("Binary files ") && line.endsWith(" differ")) {
        long size = deletion ? blobSize(snapshot, entry.oldId()) : fileSize(snapshot, entry.path());
        out.append(
            summary(
                deletion ? entry.oldPath() == null ? entry.path() : entry.oldPath() : entry.path(),
                size));
      } else if (symlink && line.startsWith("\\ ")) {
        continue; // "\ No newline at end of file": a link target has no line end to speak of
      } else if (symlink
          && !line.startsWith("---")
          && !line.startsWith("+++")
          && (line.startsWith("+") || line.startsWith("-"))) {
        out.append(line.charAt(0)).append("symlink -> ").append(line, 1, line.length());
      } else {
        out.append(line);
      }
      out.append('\n');
    }
    return out.toString();
  }

  private static String summary(String path, long size) {
    String bytes = size < 0 ? "size unknown" : size + " bytes";
    return size > LARGE_FILE
        ? "Large file " + path + " (" + bytes + "), not shown"
        : "Binary file " + path + " (" + bytes + ")";
  }

  // lstat: a size must never come from a symlink's target.
  private static long fileSize(WorktreeSnapshot snapshot, String path) {
    try {
      return Files.readAttributes(
              snapshot.worktree().resolve(path),
              BasicFileAttributes.class,
              LinkOption.NOFOLLOW_LINKS)
          .size();
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static long blobSize(WorktreeSnapshot snapshot, String id) {
    Git.Result r = snapshot.run(List.of("cat-file", "-s", id), false);
    return r.exitCode() == 0 ? Long.parseLong(r.line()) : -1;
  }
}
