package dev.robojail.jail;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code doctor --repair} and {@code relocate}: bring the state back in line with what is on disk.
 *
 * <p>The state file is rebuilt from the jail records ({@link JailRecords}): a jail whose record,
 * worktree and checkout index are all there (the checkout index is the last file a create writes)
 * is restored as {@code READY}; one whose files are incomplete was a create that never finished,
 * and is rolled back. Directories with neither record nor entry are reported, never deleted:
 * robojail cannot tell what they hold.
 */
final class JailRepair {
  private final Git git;
  private final StateStore store;
  private final JailLayout layout;
  private final JailRecovery recovery;

  JailRepair(Git git, StateStore store, JailLayout layout, JailRecovery recovery) {
    this.git = git;
    this.store = store;
    this.layout = layout;
    this.recovery = recovery;
  }

  List<String> repair() {
    List<String> report = new ArrayList<>();
    List<JailState> incomplete = new ArrayList<>();
    AtomicReference<String> corrupt = new AtomicReference<>();
    List<JailRecords.Found> records = JailRecords.readAll(layout);
    var rebuilt =
        store.rebuild(
            jails -> {
              for (JailRecords.Found f : records) {
                if (f.jail() == null) {
                  report.add("unreadable record " + f.file() + ": " + f.problem() + "; left");
                  continue;
                }
                JailState j = f.jail();
                if (jails.containsKey(j.name())) {
                  continue;
                }
                if (isComplete(j)) {
                  jails.put(j.name(), j);
                  report.add("restored jail " + j.name() + " from its record");
                } else {
                  incomplete.add(j);
                }
              }
              return jails;
            },
            corrupt);
    if (corrupt.get() != null) {
      report.addFirst(corrupt.get());
    }
    for (JailState j : incomplete) {
      recovery.rollBack(j);
      report.add("rolled back jail " + j.name() + ": its creation never finished");
    }
    report.addAll(recovery.recover());
    Set<String> known = new TreeSet<>();
    for (JailState j : rebuilt.values()) {
      known.add(j.name().value());
      if (j.phase() == JailState.Phase.READY
          && !Files.isDirectory(j.worktree(), LinkOption.NOFOLLOW_LINKS)) {
        report.add(
            "jail "
                + j.name()
                + " has no worktree; `robojail destroy "
                + j.name()
                + "` removes it");
      }
    }
    for (JailState j : incomplete) {
      known.add(j.name().value());
    }
    report.addAll(strays(layout.worktrees(), "", known));
    report.addAll(strays(layout.gitDirs(), ".git", known));
    if (report.isEmpty()) {
      report.add("the state file agrees with the jails on disk (" + rebuilt.size() + " jails)");
    }
    return report.stream().map(TerminalSafe::sanitizeLine).toList();
  }

  private boolean isComplete(JailState j) {
    return Files.isDirectory(j.worktree(), LinkOption.NOFOLLOW_LINKS)
        && Files.isDirectory(j.gitDir(), LinkOption.NOFOLLOW_LINKS)
        && Files.isRegularFile(layout.checkoutIndex(j.name()), LinkOption.NOFOLLOW_LINKS);
  }

  private static List<String> strays(Path dir, String suffix, Set<String> known) {
    List<String> found = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path e : entries) {
        String name = e.getFileName().toString();
        if (name.endsWith(suffix)
            && !known.contains(name.substring(0, name.length() - suffix.length()))) {
          found.add(e + " belongs to no jail and has no record; left in place (delete it by hand)");
        }
      }
    } catch (IOException e) {
      // no such directory: nothing stray
    }
    return found;
  }

  /** See {@link Jails#relocate}. */
  JailState relocate(JailState jail, Path newRepo) {
    String name = jail.name().value();
    if (newRepo.toString().isEmpty()) {
      throw new InvalidInputException("invalid repository: an empty path");
    }
    Path dir = newRepo.toAbsolutePath().normalize();
    if (!Files.isDirectory(dir)) {
      throw new JailException(
          TerminalSafe.sanitizeLine("the repository " + dir + " does not exist"));
    }
    if (!layout.hasPrivateGitDir(jail)) {
      throw new JailException(
          "jail " + name + " was made by an older robojail (a linked worktree): it cannot move");
    }
    Optional<Git.RepoInfo> found = git.repoInfo(dir, jail.baseCommit());
    if (found.isEmpty()) {
      throw new JailException(
          TerminalSafe.sanitizeLine(
              dir
                  + " is not a git repository with the jail's base commit "
                  + jail.baseCommit().substring(0, 12)));
    }
    Git.RepoInfo info = found.get();
    store.requireSpace();
    JailState now = store.require(jail.name());
    JailRunner.requireReady(now);
    if (now.isAlive()) {
      throw new JailConflictException("jail " + name + " is running; end it first");
    }
    pointObjectsAt(jail.gitDir(), info.commonDir().resolve("objects"));
    JailState[] moved = new JailState[1];
    store.update(
        jails -> {
          JailState current = jails.get(jail.name());
          if (current == null) {
            throw new JailConflictException("no jail named " + name);
          }
          JailRunner.requireReady(current);
          if (current.isAlive()) {
            throw new JailConflictException("jail " + name + " is running; end it first");
          }
          moved[0] = current.withRepo(info.topLevel());
          jails.put(jail.name(), moved[0]);
          return jails;
        });
    JailRecords.write(layout, moved[0]);
    return moved[0];
  }

  // The jail can write its git directory: objects/info must be a real directory (not a link
  // somewhere else), and the file is replaced by a rename, which never follows a link.
  private static void pointObjectsAt(Path gitDir, Path objects) {
    Path info = gitDir.resolve("objects/info");
    try {
      if (!Files.isDirectory(gitDir.resolve("objects"), LinkOption.NOFOLLOW_LINKS)
          || !Files.isDirectory(info, LinkOption.NOFOLLOW_LINKS)) {
        throw new JailException(
            TerminalSafe.sanitizeLine(info + " is not a directory; cannot relocate the jail"));
      }
      Path temp = Files.createTempFile(info, "alternates", ".tmp");
      Files.writeString(temp, objects + "\n");
      Files.move(
          temp,
          info.resolve("alternates"),
          StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new JailException(
          TerminalSafe.sanitizeLine("cannot update " + info + ": " + StateStore.reason(e)), e);
    }
  }
}
