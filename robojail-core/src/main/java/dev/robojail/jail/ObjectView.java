package dev.robojail.jail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a jail sees of the user's object store: a directory of hard links to the user's object
 * files, made again before each run, without the packs robojail imported from other jails.
 *
 * <p>Binding the user's {@code objects} directory itself would show a jail every object there,
 * including the commits {@code status} imported from other jails, and those imported while the jail
 * runs. Every import is a pack of its own, kept ({@code .keep}, which {@code git gc} honours, so it
 * is never folded into another pack) with the branch and the tip it brought written in the keep
 * file ({@link JailGitDir#importBranch}). A jail's view holds the user's loose objects and packs,
 * and of the imported packs only those of its own branch and those whose tip one of the user's own
 * refs (any ref but robojail's branches) reaches: work the user merged is the user's.
 *
 * <p>Links are cheap and share the files; where the data directory is on another file system than
 * the repository, files are copied instead, once (a file already in the view is kept, since object
 * files never change under their name).
 */
final class ObjectView {
  static final String KEEP_PREFIX = "robojail import ";
  private static final Pattern PACK =
      Pattern.compile("(pack-[0-9a-f]{40,64})\\.(?:pack|idx|rev|keep)");
  private static final Pattern OBJECT_ID = Pattern.compile("[0-9a-f]{40}(?:[0-9a-f]{24})?");

  private ObjectView() {}

  /**
   * Makes {@code view} hold what the jail of {@code branch} may see of the objects of the
   * repository whose common git directory is {@code commonDir}.
   */
  static void refresh(Git git, Path repo, Path commonDir, String branch, Path view) {
    Path objects = commonDir.resolve("objects");
    try {
      Files.createDirectories(view.resolve("pack"));
      Map<String, Path> wanted = new LinkedHashMap<>();
      for (Path f : loose(objects)) {
        wanted.put(objects.relativize(f).toString(), f);
      }
      for (Path f : packs(git, repo, objects, branch)) {
        wanted.put("pack/" + f.getFileName(), f);
      }
      sync(view, wanted);
    } catch (IOException e) {
      throw new JailException(
          "cannot prepare the jail's view of "
              + TerminalSafe.sanitizeLine(objects.toString())
              + ": "
              + e,
          e);
    }
  }

  private static List<Path> loose(Path objects) throws IOException {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(objects)) {
      for (Path d : dirs) {
        if (JailGitDir.LOOSE_DIR.matcher(d.getFileName().toString()).matches()
            && JailGitDir.isDirectory(d)) {
          try (DirectoryStream<Path> entries = Files.newDirectoryStream(d)) {
            for (Path f : entries) {
              if (JailGitDir.LOOSE_FILE.matcher(f.getFileName().toString()).matches()) {
                files.add(f);
              }
            }
          }
        }
      }
    }
    return files;
  }

  // Every pack's .pack, .idx and .rev, but not the imported packs the jail may not see.
  private static List<Path> packs(Git git, Path repo, Path objects, String branch)
      throws IOException {
    Map<String, List<Path>> byPack = new LinkedHashMap<>();
    Map<String, String> importTips = new LinkedHashMap<>();
    Path packDir = objects.resolve("pack");
    if (!JailGitDir.isDirectory(packDir)) {
      return List.of();
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(packDir)) {
      for (Path f : entries) {
        var m = PACK.matcher(f.getFileName().toString());
        if (!m.matches()) {
          continue;
        }
        if (f.getFileName().toString().endsWith(".keep")) {
          String[] words = readKeep(f).split(" ");
          // "robojail import BRANCH TIP"
          if (words.length == 4 && OBJECT_ID.matcher(words[3]).matches()) {
            if (!words[2].equals(branch)) {
              importTips.put(m.group(1), words[3]);
            }
          }
        } else {
          byPack.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(f);
        }
      }
    }
    Set<String> unreached = unreached(git, repo, Set.copyOf(importTips.values()));
    List<Path> files = new ArrayList<>();
    byPack.forEach(
        (pack, paths) -> {
          String tip = importTips.get(pack);
          if (tip == null || !unreached.contains(tip)) {
            files.addAll(paths);
          }
        });
    return files;
  }

  private static String readKeep(Path keep) throws IOException {
    try (InputStream in = Files.newInputStream(keep, LinkOption.NOFOLLOW_LINKS)) {
      String text = new String(in.readNBytes(512), StandardCharsets.UTF_8).strip();
      return text.startsWith(KEEP_PREFIX) ? text : "";
    }
  }

  // The tips that no ref of the user's reaches: robojail's branches are not the user's.
  private static Set<String> unreached(Git git, Path repo, Set<String> tips) {
    if (tips.isEmpty()) {
      return Set.of();
    }
    Git.Result r =
        git.command(repo)
            .args("rev-list", "--stdin", "--not", "--exclude=refs/heads/robojail/*", "--all")
            .input((String.join("\n", tips) + "\n").getBytes(StandardCharsets.US_ASCII))
            .allowFailure()
            .run();
    if (r.exitCode() != 0) {
      // A tip the repository lost: what cannot be shown reachable is not shown.
      return Set.copyOf(tips);
    }
    Set<String> listed = new HashSet<>(r.out().lines().toList());
    listed.retainAll(tips);
    return listed;
  }

  private static void sync(Path view, Map<String, Path> wanted) throws IOException {
    Set<String> present = new HashSet<>();
    for (Path d : List.of(view, view.resolve("pack"))) {
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(d)) {
        for (Path e : entries) {
          String name = view.relativize(e).toString();
          if (name.equals("pack")) {
            continue;
          }
          if (JailGitDir.isDirectory(e) && JailGitDir.LOOSE_DIR.matcher(name).matches()) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(e)) {
              for (Path f : files) {
                present.add(view.relativize(f).toString());
              }
            }
          } else {
            present.add(name);
          }
        }
      }
    }
    for (String name : present) {
      if (!wanted.containsKey(name)) {
        Files.delete(view.resolve(name));
      }
    }
    for (Map.Entry<String, Path> e : wanted.entrySet()) {
      if (present.contains(e.getKey())) {
        continue;
      }
      Path to = view.resolve(e.getKey());
      Files.createDirectories(to.getParent());
      try {
        Files.createLink(to, e.getValue());
      } catch (FileSystemException | UnsupportedOperationException notLinked) {
        // another file system, or a file the user's git removed meanwhile
        if (Files.exists(e.getValue(), LinkOption.NOFOLLOW_LINKS)) {
          Files.copy(e.getValue(), to, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }
}
