package dev.robojail.jail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * The sessions of each jail, one small file per session in {@code sessions/NAME/} beside the state
 * file (see {@link JailLayout}): the supervisor's pid, start time and boot id.
 *
 * <p>A session is a volatile fact: a crash or a reboot ends it, and a record whose process is gone
 * ({@link Supervisor#isAlive}) never counts. So a record is written whole and renamed into place,
 * which keeps a reader from seeing half of one, but not synced: a crash may lose it, and what is
 * lost is a session that has ended anyway. The state file, which is synced, holds only what must
 * survive a crash. Records are added under the state file's lock ({@link StateStore#startSession})
 * and read under it, so a run, a destroy and a second run decide on the same set; removing one's
 * own record needs no lock, since nothing decides on a session that is ending.
 *
 * <p>The directory is robojail's own (0700) and no jail sees it; still, a file that is not a record
 * (a link, a FIFO, garbage, a name of another shape) is not read as one: it is skipped, and deleted
 * when a session is added.
 */
final class SessionRecords {
  // pid-starttime-n: n tells apart the sessions of one JVM (an embedding tool runs several).
  private static final Pattern NAME = Pattern.compile("[0-9]{1,10}-[0-9]{1,20}-[0-9]{1,19}");
  private static final Pattern BOOT_ID = Pattern.compile("[0-9a-f-]{1,64}");
  private static final int MAX_SIZE = 128;
  private static final AtomicLong NEXT = new AtomicLong();

  private final Path dir;

  /** The records under {@code dir}, one directory per jail; nothing is touched until used. */
  SessionRecords(Path dir) {
    this.dir = dir;
  }

  /** A session's record, removed by {@link #close}. */
  record Session(Path file, Supervisor supervisor) implements AutoCloseable {
    /** Removes the record: the session has ended. */
    @Override
    public void close() {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        // A record left behind names a process that is about to end: it no longer counts then.
      }
    }
  }

  /** The directory of the jail's records. */
  Path of(JailName name) {
    return dir.resolve(name.value());
  }

  /**
   * The jail's records that could be read, in no particular order; dead ones included.
   *
   * @throws IOException if the jail's directory of records cannot be listed: a session it hides
   *     would otherwise not count, and a destroy would go ahead under it
   */
  List<Supervisor> read(JailName name) throws IOException {
    List<Supervisor> found = new ArrayList<>();
    forEach(name, (file, s) -> s.ifPresent(found::add));
    return found;
  }

  /**
   * Adds a record of {@code supervisor} to the jail's, and deletes those that no longer count
   * (dead, unreadable, not records). The caller holds the state file's lock.
   */
  Session add(JailName name, Supervisor supervisor) throws IOException {
    Path jailDir = of(name);
    JailLayout.createPrivateDirectories(jailDir);
    forEach(
        name,
        (file, s) -> {
          if (s.isEmpty() || !s.get().isAlive()) {
            try {
              Files.deleteIfExists(file);
            } catch (IOException e) {
              // It does not count either way; the next session tries again.
            }
          }
        });
    String id = supervisor.pid() + "-" + supervisor.startTime() + "-" + NEXT.incrementAndGet();
    Path file = jailDir.resolve(id);
    write(file, supervisor);
    return new Session(file, supervisor);
  }

  /**
   * Writes the record of a session that an older robojail kept in the state file, unless one of it
   * is there, so that it keeps counting once the state file is rewritten without it.
   */
  void adopt(JailName name, Supervisor supervisor) throws IOException {
    if (read(name).contains(supervisor)) {
      return;
    }
    JailLayout.createPrivateDirectories(of(name));
    write(of(name).resolve(supervisor.pid() + "-" + supervisor.startTime() + "-0"), supervisor);
  }

  /** Deletes every record of the jail, and its directory: the jail is gone. */
  void removeAll(JailName name) {
    JailFiles.deleteTreeQuietly(of(name));
  }

  // Whole, then renamed: a reader never finds a record half-written. No sync, see the class.
  private static void write(Path file, Supervisor s) throws IOException {
    Path temp = file.resolveSibling("." + file.getFileName() + ".tmp");
    Files.write(
        temp,
        (s.pid() + " " + s.startTime() + " " + s.bootId() + "\n").getBytes(StandardCharsets.UTF_8),
        StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE,
        LinkOption.NOFOLLOW_LINKS);
    Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private interface Visitor {
    void visit(Path file, Optional<Supervisor> record);
  }

  private void forEach(JailName name, Visitor visitor) throws IOException {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(of(name))) {
      for (Path file : files) {
        String fileName = file.getFileName().toString();
        if (fileName.startsWith(".")) {
          continue; // another process's record being written
        }
        visitor.visit(file, NAME.matcher(fileName).matches() ? parse(file) : Optional.empty());
      }
    } catch (NoSuchFileException e) {
      // no session has ever run
    } catch (DirectoryIteratorException e) {
      throw e.getCause();
    }
  }

  // Only a small regular file, opened without following a link: a planted FIFO would block the
  // read, and a link could name anything. Empty for what is not a record, or one deleted as it
  // was read (its session ended); a record that cannot be read (no descriptor left, an I/O error)
  // fails the caller: counted as none, it would let a destroy go ahead under a live session, and
  // a new session would delete it.
  static Optional<Supervisor> parse(Path file) throws IOException {
    try {
      BasicFileAttributes attrs =
          Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!attrs.isRegularFile() || attrs.size() > MAX_SIZE) {
        return Optional.empty();
      }
      byte[] bytes;
      try (var in =
          Files.newInputStream(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
        bytes = in.readNBytes(MAX_SIZE + 1);
      }
      String text = new String(bytes, StandardCharsets.UTF_8);
      if (bytes.length > MAX_SIZE || !text.endsWith("\n")) {
        return Optional.empty();
      }
      String[] f = text.strip().split(" ");
      if (f.length != 3 || !BOOT_ID.matcher(f[2]).matches()) {
        return Optional.empty();
      }
      long pid = Long.parseLong(f[0]);
      long start = Long.parseLong(f[1]);
      return pid > 0 && start >= 0
          ? Optional.of(new Supervisor(pid, start, f[2]))
          : Optional.empty();
    } catch (NoSuchFileException | NumberFormatException e) {
      return Optional.empty();
    }
  }
}
