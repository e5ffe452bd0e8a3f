package dev.robojail.jail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * The state file {@code jails.json}: every jail robojail knows about.
 *
 * <p>Several robojail processes may run at once (one per jail, plus {@code list} and {@code rm}),
 * so every access holds an exclusive lock on the separate file {@code jails.json.lock}, and every
 * change is written to a temporary file in the same directory, synced, and renamed over the old
 * file. A reader therefore sees either the old or the new state, and a crash leaves one of them. A
 * jail's sessions are not in the file: they are {@link SessionRecords}, read under the same lock
 * into each {@link JailState#sessions}, and never written by {@link #update}.
 *
 * <p>A corrupt state file is never overwritten: it is copied once to {@code
 * jails.json.corrupt-TIME} (a second command finding the same bytes makes no second copy) and a
 * {@link StateException} says where, and that {@code robojail doctor --repair} rebuilds the file
 * from the jails on disk. A file that cannot be read for lack of permission is not corrupt, and is
 * neither copied nor to be moved away: every jail is still in it.
 */
public final class StateStore {
  // A JVM may hold only one FileLock per file: a second FileChannel.lock() on the same file from
  // another thread throws OverlappingFileLockException instead of waiting. Threads of one JVM
  // therefore queue on this lock first, keyed by the lock file's real path.
  private static final Map<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

  private final Path file;
  private final Path lockFile;
  private final SessionRecords sessions;

  /** A store for the given state file; nothing is touched until it is used. */
  public StateStore(Path file) {
    this.file = file.toAbsolutePath().normalize();
    this.lockFile = this.file.resolveSibling(this.file.getFileName() + ".lock");
    this.sessions = new SessionRecords(this.file.resolveSibling("sessions"));
  }

  /** The store at {@link Dirs#stateFile()}. */
  public static StateStore of(Dirs dirs) {
    return new StateStore(dirs.stateFile());
  }

  /** The state file. */
  public Path file() {
    return file;
  }

  /** Every jail, sorted by name. */
  public List<JailState> list() {
    return locked(jails -> List.copyOf(jails.values()));
  }

  /** The named jail, if there is one. */
  public Optional<JailState> get(JailName name) {
    return locked(jails -> Optional.ofNullable(jails.get(name)));
  }

  /**
   * The named jail.
   *
   * @throws JailConflictException if there is none
   */
  JailState require(JailName name) {
    return get(name).orElseThrow(() -> new JailConflictException("no jail named " + name));
  }

  /** Adds or replaces a jail. */
  public void put(JailState jail) {
    update(
        jails -> {
          jails.put(jail.name(), jail);
          return jails;
        });
  }

  /**
   * Adds a jail unless one of that name exists; the check and the write happen under one lock, so
   * of two processes adding the same name exactly one succeeds.
   *
   * @return whether the jail was added
   */
  public boolean putIfAbsent(JailState jail) {
    AtomicBoolean added = new AtomicBoolean();
    update(
        jails -> {
          added.set(jails.putIfAbsent(jail.name(), jail) == null);
          return jails;
        });
    return added.get();
  }

  /** Removes a jail; returns what it was, if it was there. */
  public Optional<JailState> remove(JailName name) {
    AtomicReference<JailState> removed = new AtomicReference<>();
    update(
        jails -> {
          removed.set(jails.remove(name));
          return jails;
        });
    return Optional.ofNullable(removed.get());
  }

  /**
   * Adds a session to the named jail under the lock, once {@code check} accepted the jail as it is
   * then (its sessions included): a destroy or create that holds the lock meanwhile sees the
   * session, or the session sees its phase. The state file is read, not written: a session is kept
   * in {@link SessionRecords}.
   *
   * @throws JailConflictException if there is no such jail
   */
  SessionRecords.Session startSession(
      JailName name, Supervisor supervisor, Consumer<JailState> check) {
    Predicate<JailState> admit =
        jail -> {
          check.accept(jail);
          return true;
        };
    return startSession(name, supervisor, all -> true, admit).orElseThrow().session();
  }

  /**
   * A session {@link #startSession started}, and its jail as the check saw it; or, when the check
   * said "not yet", no session ({@code session} null) and nothing added.
   */
  record Started(JailState jail, SessionRecords.Session session) {
    /** Whether the session was added. */
    boolean admitted() {
      return session != null;
    }
  }

  /**
   * As {@link #startSession(JailName, Supervisor, Consumer)}, in the same one read of the state:
   * first {@code proceed} sees every jail, and when it says no, nothing is added and the result is
   * empty (a run recovers what an interrupted robojail left, then tries again). So a run reads and
   * locks the state file once, and its jail is the one the check accepted. A check that returns
   * false adds nothing either (the jail is being started or ended by another session: the caller
   * waits and asks again), and the result holds the jail alone.
   *
   * @throws JailConflictException if there is no such jail
   */
  Optional<Started> startSession(
      JailName name,
      Supervisor supervisor,
      Predicate<Collection<JailState>> proceed,
      Predicate<JailState> admit) {
    return locked(
        jails -> {
          if (!proceed.test(jails.values())) {
            return Optional.empty();
          }
          JailState current = jails.get(name);
          if (current == null) {
            throw new JailConflictException("no jail named " + name);
          }
          if (!admit.test(current)) {
            return Optional.of(new Started(current, null));
          }
          try {
            return Optional.of(new Started(current, sessions.add(name, supervisor)));
          } catch (IOException e) {
            throw stateDirProblem(e);
          }
        });
  }

  /** Deletes the sessions' records of a jail that is gone. */
  void removeSessions(JailName name) {
    sessions.removeAll(name);
  }

  /**
   * Reads, changes and writes the state under the lock.
   *
   * @param change gets a modifiable copy of the current state and returns the new state; it must
   *     not use this or another store on the same file, and should be quick, since every other
   *     robojail process waits meanwhile
   * @return the new state
   */
  public SortedMap<JailName, JailState> update(
      UnaryOperator<SortedMap<JailName, JailState>> change) {
    return update(change, false);
  }

  /**
   * As {@link #update}, but a corrupt state file counts as empty once its copy is kept: for
   * rebuilding the state from what is on disk. Whether the file was corrupt is {@code corrupt}'s
   * value afterwards.
   */
  SortedMap<JailName, JailState> rebuild(
      UnaryOperator<SortedMap<JailName, JailState>> change, AtomicReference<String> corrupt) {
    return locked(
        () -> {
          try {
            return read();
          } catch (StateException e) {
            if (!(e.getCause() instanceof StateCodec.CorruptException)) {
              throw e;
            }
            corrupt.set(e.getMessage());
            return new TreeMap<>();
          }
        },
        jails -> apply(jails, change, true));
  }

  private SortedMap<JailName, JailState> update(
      UnaryOperator<SortedMap<JailName, JailState>> change, boolean alwaysWrite) {
    return locked(this::read, jails -> apply(jails, change, alwaysWrite));
  }

  private SortedMap<JailName, JailState> apply(
      SortedMap<JailName, JailState> jails,
      UnaryOperator<SortedMap<JailName, JailState>> change,
      boolean alwaysWrite) {
    SortedMap<JailName, JailState> changed = new TreeMap<>(change.apply(new TreeMap<>(jails)));
    for (Map.Entry<JailName, JailState> e : changed.entrySet()) {
      if (!e.getKey().equals(e.getValue().name())) {
        throw new IllegalArgumentException(
            "jail " + e.getValue().name() + " stored under the name " + e.getKey());
      }
    }
    if (alwaysWrite || !changed.equals(jails)) {
      write(StateCodec.encode(changed));
    }
    return Collections.unmodifiableSortedMap(changed);
  }

  /**
   * Throws unless the state directory has room for a few more copies of the state file: checked
   * before a change that deletes or makes files, so that it never leaves files without an entry or
   * an entry without files for want of space to write the state.
   *
   * @throws StateException if the file system holding the state file is (nearly) full
   */
  public void requireSpace() {
    try {
      Files.createDirectories(file.getParent());
      long needed = 3 * (Files.exists(file) ? Files.size(file) : 0) + MIN_FREE;
      long usable = Files.getFileStore(file.getParent()).getUsableSpace();
      if (usable < needed) {
        throw new StateException(
            "no space left for the state file in "
                + file.getParent()
                + " ("
                + usable
                + " bytes free); free some space, then try again");
      }
    } catch (IOException e) {
      throw stateDirProblem(e);
    }
  }

  private static final long MIN_FREE = 256 << 10;

  private StateException stateDirProblem(IOException e) {
    if (e instanceof AccessDeniedException) {
      return new StateException(
          TerminalSafe.sanitizeLine(
              "permission denied: cannot write robojail's state in "
                  + file.getParent()
                  + "; check the owner and permissions of that directory"),
          e);
    }
    return new StateException(
        TerminalSafe.sanitizeLine(
            "cannot use the state directory " + file.getParent() + ": " + reason(e)),
        e);
  }

  // An IOException's message alone, as the user would read it: "/x/y: Permission denied".
  static String reason(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof NoSuchFileException) {
      return "no such file or directory";
    }
    String m = e.getMessage();
    return m == null ? e.getClass().getSimpleName() : m;
  }

  private <T> T locked(Function<SortedMap<JailName, JailState>, T> action) {
    return locked(this::read, action);
  }

  private <T> T locked(
      java.util.function.Supplier<SortedMap<JailName, JailState>> reader,
      Function<SortedMap<JailName, JailState>, T> action) {
    try {
      JailLayout.createPrivateDirectories(file.getParent());
    } catch (IOException e) {
      throw stateDirProblem(e);
    }
    ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(lockKey(), k -> new ReentrantLock());
    jvmLock.lock();
    try (FileChannel channel =
            FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock _ = channel.lock()) {
      return action.apply(reader.get());
    } catch (IOException e) {
      throw stateDirProblem(e);
    } finally {
      jvmLock.unlock();
    }
  }

  private Path lockKey() {
    try {
      return file.getParent().toRealPath().resolve(lockFile.getFileName());
    } catch (IOException e) {
      return lockFile;
    }
  }

  private SortedMap<JailName, JailState> read() {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return new TreeMap<>();
    } catch (AccessDeniedException e) {
      throw new StateException(
          TerminalSafe.sanitizeLine(
              "permission denied reading the state file "
                  + file
                  + "; check its owner and permissions (it still lists every jail: do not move it"
                  + " away)"),
          e);
    } catch (IOException e) {
      throw new StateException(
          TerminalSafe.sanitizeLine("cannot read the state file " + file + ": " + reason(e)), e);
    }
    SortedMap<JailName, JailState> jails;
    try {
      jails = StateCodec.decode(bytes);
    } catch (StateCodec.CorruptException e) {
      throw corrupt(e);
    }
    jails.replaceAll((name, jail) -> jail.withSessions(sessionsOf(jail)));
    return jails;
  }

  // The state file holds sessions only when an older robojail wrote it: a live one of those is
  // adopted as a record, so that it still counts once this robojail rewrites the file without it.
  private List<Supervisor> sessionsOf(JailState jail) {
    try {
      List<Supervisor> unadopted = new ArrayList<>();
      for (Supervisor legacy : jail.sessions()) {
        if (legacy.isAlive()) {
          try {
            sessions.adopt(jail.name(), legacy);
          } catch (IOException e) {
            unadopted.add(legacy); // it counts this time all the same, from the file
          }
        }
      }
      List<Supervisor> found = new ArrayList<>(sessions.read(jail.name()));
      found.addAll(unadopted);
      return found;
    } catch (IOException e) {
      throw new StateException(
          TerminalSafe.sanitizeLine(
              "cannot read the sessions of jail "
                  + jail.name()
                  + " in "
                  + sessions.of(jail.name())
                  + ": "
                  + reason(e)
                  + "; check the owner and permissions of that directory"),
          e);
    }
  }

  private StateException corrupt(StateCodec.CorruptException problem) {
    String backup;
    try {
      backup = "a copy was kept at " + backup();
    } catch (IOException e) {
      backup = "no copy could be kept (" + reason(e) + ")";
    }
    return new StateException(
        TerminalSafe.sanitizeLine(
            "the state file "
                + file
                + " is corrupt: "
                + problem.getMessage()
                + "; "
                + backup
                + "; run `robojail doctor --repair` to rebuild it from the jails on disk"),
        problem);
  }

  // One copy per corrupt content: every command reads the file, and would otherwise add one.
  private Path backup() throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    String prefix = file.getFileName() + ".corrupt-";
    try (var siblings = Files.newDirectoryStream(file.getParent(), prefix + "*")) {
      for (Path p : siblings) {
        if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)
            && Files.size(p) == bytes.length
            && java.util.Arrays.equals(Files.readAllBytes(p), bytes)) {
          return p;
        }
      }
    }
    // Made here, not in a static field: every command would pay for the formatter's classes.
    DateTimeFormatter time =
        DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);
    String base = prefix + time.format(Instant.now());
    for (int i = 0; ; i++) {
      Path target = file.resolveSibling(i == 0 ? base : base + "-" + i);
      try {
        return Files.copy(file, target);
      } catch (FileAlreadyExistsException e) {
        // Another process made a backup in the same millisecond; take the next name.
      }
    }
  }

  private void write(byte[] bytes) {
    Path dir = file.getParent();
    Path temp = null;
    try {
      temp =
          Files.createTempFile(
              dir,
              file.getFileName() + ".",
              ".tmp",
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
        out.force(true);
      }
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
      temp = null;
      // The rename is durable only once the directory entry is.
      try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
        d.force(true);
      }
    } catch (AtomicMoveNotSupportedException e) {
      throw new StateException("cannot replace " + file + " atomically on this file system", e);
    } catch (IOException e) {
      throw new StateException(
          TerminalSafe.sanitizeLine(
              "cannot write the state file " + file + ": " + reason(e) + "; nothing was changed"),
          e);
    } finally {
      if (temp != null) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException e) {
          // The write already failed and says so; a stray temp file is harmless.
        }
      }
    }
  }
}
