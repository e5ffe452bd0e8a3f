package dev.robojail.sandbox;

import dev.robojail.ffm.Kernel;
import dev.robojail.ffm.SetupRunner;
import dev.robojail.ffm.SyscallException;
import dev.robojail.ffm.Syscalls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A cgroup of the sandbox's own, for the limits an rlimit cannot give: a process count that binds
 * the host's root too (the kernel exempts it from {@code RLIMIT_NPROC}) and a memory limit on all
 * of the sandbox's processes together.
 *
 * <p>The parent makes it and writes its limits, and the child is born in it ({@link #birthplace}),
 * so that it counts there from its first instruction; it is removed once the sandbox has been
 * reaped. It goes where the host lets the caller make one: with cgroup v2, beside the JVM's own
 * cgroup when their parent delegates {@code pids} and {@code memory} to its children and the caller
 * may write there (a systemd user session's delegated subtree; a v2 cgroup with processes cannot
 * have controlled children, so the JVM's own cannot be the parent), or below the root cgroup; with
 * v1, below the JVM's cgroup of each controller, where the caller may write (root). Elsewhere there
 * is none, and only the rlimits hold ({@link HostReport} says which).
 */
final class Cgroup {
  // package-private: a test plants the names it will give next
  static final AtomicLong COUNTER = new AtomicLong();

  /**
   * Where cgroups can be made, per controller.
   *
   * @param version "v2" or "v1"
   * @param parents the directory to make a child cgroup in, for each of {@code pids} and {@code
   *     memory} that is available (with v2, the same directory)
   */
  record Place(String version, Map<String, Path> parents) {
    Place {
      parents = Map.copyOf(parents);
    }
  }

  /**
   * Set once a cgroup v2 kernel has refused {@code CLONE_INTO_CGROUP} where a clone without it
   * succeeded: children are then moved in by pid, as before that flag.
   */
  static volatile boolean intoRefused;

  private final String version;
  private final List<Path> dirs;
  // v1: the pids.max to write, and its value, once the cloning thread has left (it counts there
  // while inside); null for none
  private final Path pidsMax;
  private final byte[] processes;
  // v1, a cgroup this JVM made: the memory hierarchy's directory, which the child enters by itself
  // before its exec instead of through the spawner thread (birthplace); null for none
  private final Path memory;

  private Cgroup(String version, List<Path> dirs) {
    this(version, dirs, null, -1, null);
  }

  private Cgroup(String version, List<Path> dirs, Path pidsMax, long processes, Path memory) {
    this.version = version;
    this.dirs = List.copyOf(dirs);
    this.pidsMax = pidsMax;
    this.processes = Long.toString(processes).getBytes(StandardCharsets.US_ASCII);
    this.memory = memory;
  }

  /** Where this host lets the caller make cgroups, or empty; for the host's report. */
  static Optional<Place> find() {
    try {
      return read();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * {@link #find()} for a start whose spec has limits: a host whose files could not be read (a JVM
   * out of descriptors) is not a host without cgroups, and a sandbox without the limits it asked
   * for is refused rather than started.
   *
   * @throws SandboxException if {@code /proc/self/cgroup} or {@code /proc/self/mountinfo} cannot be
   *     read
   */
  static Optional<Place> findForStart() {
    try {
      return read();
    } catch (IOException e) {
      throw new SandboxException(
          "cannot start the sandbox: cannot read where its cgroup goes, for its process and"
              + " memory limits: "
              + e,
          e);
    }
  }

  private static Optional<Place> read() throws IOException {
    return find(Files.readString(Path.of("/proc/self/cgroup")), mounts());
  }

  /**
   * {@link #find()} from the text of {@code /proc/self/cgroup} and the cgroup mounts ({@code
   * "cgroup2"} or a v1 controller's name, to its mount point).
   */
  static Optional<Place> find(String selfCgroup, Map<String, Path> mounts) {
    Map<String, String> own = new LinkedHashMap<>();
    for (String line : selfCgroup.split("\n")) {
      String[] f = line.split(":", 3);
      if (f.length < 3) {
        continue;
      }
      if (f[0].equals("0") && f[1].isEmpty()) {
        own.put("cgroup2", f[2]);
      } else {
        for (String c : f[1].split(",")) {
          own.put(c, f[2]);
        }
      }
    }
    if (own.containsKey("cgroup2") && mounts.containsKey("cgroup2")) {
      String path = own.get("cgroup2");
      Path dir = under(mounts.get("cgroup2"), path);
      // The JVM's own cgroup holds processes, so its controllers cannot be given to children.
      Path parent = path.equals("/") ? dir : dir.getParent();
      if (parent != null && delegates(parent) && writable(parent)) {
        return Optional.of(new Place("v2", Map.of("pids", parent, "memory", parent)));
      }
    }
    Map<String, Path> v1 = new LinkedHashMap<>();
    for (String controller : List.of("pids", "memory")) {
      if (own.containsKey(controller) && mounts.containsKey(controller)) {
        Path dir = under(mounts.get(controller), own.get(controller));
        if (writable(dir)) {
          v1.put(controller, dir);
        }
      }
    }
    return v1.isEmpty() ? Optional.empty() : Optional.of(new Place("v1", v1));
  }

  /** Why there is no cgroup for sandboxes here, or how there is one: for the host report. */
  static String describe(Optional<Place> place) {
    if (place.isEmpty()) {
      return "no cgroup the caller may make children in (v2 without delegated pids and memory,"
          + " v1 controllers not writable): processes are limited by RLIMIT_NPROC only, which"
          + " does not bind the host's root, and memory not at all";
    }
    Place p = place.get();
    return "cgroup "
        + p.version()
        + " ("
        + String.join(", ", p.parents().keySet().stream().sorted().toList())
        + ") under "
        + p.parents().values().stream().distinct().map(Path::toString).sorted().toList();
  }

  /**
   * A new cgroup with these limits (each -1 for none), or empty when none is wanted or none can be
   * made here.
   *
   * @throws SandboxException if the host offers cgroups but making this one failed
   */
  static Optional<Cgroup> create(Sandbox.Limits limits) {
    if (limits.processes() <= 0 && limits.memory() <= 0) {
      return Optional.empty();
    }
    // Found ahead on the link thread when a command started that (HostAhead), else here.
    Optional<Place> place = HostAhead.takePlace();
    if (place == null) {
      place = findForStart();
    }
    if (place.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(create(place.get(), limits));
  }

  static Cgroup create(Place place, Sandbox.Limits limits) {
    boolean v2 = place.version().equals("v2");
    List<Path> made = new ArrayList<>();
    String name = null;
    try {
      // A JVM killed before it removed its cgroup leaves it behind until the next boot, and a
      // later JVM may get its pid: the name carries the JVM's start time too, and a name found
      // taken all the same is passed over.
      for (int attempt = 0; name == null; attempt++) {
        String candidate = prefix() + COUNTER.incrementAndGet();
        try {
          for (Path parent : place.parents().values().stream().distinct().toList()) {
            Path dir = parent.resolve(candidate);
            Files.createDirectory(dir);
            made.add(dir);
          }
          name = candidate;
        } catch (FileAlreadyExistsException e) {
          new Cgroup(place.version(), made).remove();
          made.clear();
          if (attempt == 9) {
            throw e;
          }
        }
      }
      Path pids =
          place.parents().containsKey("pids") ? place.parents().get("pids").resolve(name) : null;
      Path memory =
          place.parents().containsKey("memory")
              ? place.parents().get("memory").resolve(name)
              : null;
      // With v1 the spawner thread is in the cgroup while it clones, and a limit of n would count
      // it as one of the n (limitAfterClone).
      if (pids != null && limits.processes() > 0 && v2) {
        write(pids.resolve("pids.max"), Long.toString(limits.processes()));
      }
      if (memory != null && limits.memory() > 0) {
        String bytes = Long.toString(limits.memory());
        if (v2) {
          write(memory.resolve("memory.max"), bytes);
          // swap would only make a hog slow instead of stopping it
          writeIfPresent(memory.resolve("memory.swap.max"), "0");
        } else {
          write(memory.resolve("memory.limit_in_bytes"), bytes);
          writeIfPresent(memory.resolve("memory.memsw.limit_in_bytes"), bytes);
        }
      }
      return new Cgroup(
          place.version(),
          made,
          pids != null && !v2 && limits.processes() > 0 ? pids.resolve("pids.max") : null,
          limits.processes(),
          v2 ? null : memory);
    } catch (IOException e) {
      new Cgroup(place.version(), made).remove();
      throw new SandboxException(
          "cannot make the sandbox's cgroup " + (name == null ? prefix() + "N" : name) + ": " + e,
          e);
    }
  }

  // The prefix, once its start time was read: both name this process for as long as it runs.
  private static volatile String prefix;

  /**
   * The names this JVM gives its cgroups start with: its pid and start time. Kept once the start
   * time was read, which then cannot change: the link thread reads it ahead ({@link HostAhead}).
   */
  static String prefix() {
    String p = prefix;
    if (p != null) {
      return p;
    }
    long pid = ProcessHandle.current().pid();
    Optional<Long> started = startTicks(pid);
    p = "robojail-" + pid + "-" + started.orElse(0L) + "-";
    if (started.isPresent()) {
      prefix = p;
    }
    return p;
  }

  // The process's start time in clock ticks since boot (/proc/PID/stat field 22): with its pid,
  // it names one process of this boot.
  private static Optional<Long> startTicks(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Optional.of(Long.parseLong(f[19]));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * Removes the cgroups that JVMs which are gone left in {@code parent}: named {@code
   * robojail-PID-START-N} (or {@code robojail-PID-N}, as older robojails named them) for a process
   * that no longer runs, and unchanged for a minute, so that one being made right now is never
   * taken for a leftover. The kernel removes only an empty cgroup, so none in use can go.
   */
  static void removeLeftovers(Path parent, Instant now) {
    try (var entries = Files.newDirectoryStream(parent, "robojail-*")) {
      for (Path dir : entries) {
        if (!ownerGone(dir.getFileName().toString())) {
          continue;
        }
        try {
          if (Files.getLastModifiedTime(dir).toInstant().isBefore(now.minusSeconds(60))) {
            Files.delete(dir);
          }
        } catch (IOException e) {
          // populated, or not ours to remove: left as it is
        }
      }
    } catch (IOException | RuntimeException e) {
      // housekeeping only
    }
  }

  private static boolean ownerGone(String name) {
    String[] f = name.split("-");
    if (f.length < 3 || f.length > 4) {
      return false;
    }
    try {
      long pid = Long.parseLong(f[1]);
      Optional<Long> started = startTicks(pid);
      if (started.isEmpty()) {
        return true;
      }
      // the old name has no start time to tell a reused pid by, nor one whose start was unread
      long named = f.length == 4 ? Long.parseLong(f[2]) : 0;
      return named != 0 && started.get() != named;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /**
   * The cgroup robojail made for the running sandbox whose PID 1 is {@code pid}, found in {@code
   * /proc/PID/cgroup}, for a second session to join; empty when it has none. Joining it is all the
   * caller may do: the session that made it removes it.
   */
  static Optional<Cgroup> of(int pid) {
    try {
      return of(Files.readString(Path.of("/proc", Integer.toString(pid), "cgroup")), mounts());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  static Optional<Cgroup> of(String cgroups, Map<String, Path> mounts) {
    List<Path> dirs = new ArrayList<>();
    String version = "v1";
    for (String line : cgroups.split("\n")) {
      String[] f = line.split(":", 3);
      if (f.length < 3 || !f[2].substring(f[2].lastIndexOf('/') + 1).startsWith("robojail-")) {
        continue;
      }
      List<String> hierarchies =
          f[0].equals("0") && f[1].isEmpty() ? List.of("cgroup2") : List.of(f[1].split(","));
      for (String h : hierarchies) {
        if (mounts.containsKey(h)
            && (h.equals("cgroup2") || h.equals("pids") || h.equals("memory"))) {
          Path dir = under(mounts.get(h), f[2]);
          if (!dirs.contains(dir)) {
            dirs.add(dir);
          }
          version = h.equals("cgroup2") ? "v2" : version;
        }
      }
    }
    return dirs.isEmpty() ? Optional.empty() : Optional.of(new Cgroup(version, dirs));
  }

  /**
   * How a child of the spawner thread gets into this cgroup without being moved in by pid ({@link
   * #add}), or null when it must be: with v2, born there through {@code CLONE_INTO_CGROUP} (unless
   * this kernel refused it); with v1, for a cgroup this JVM made for the sandbox it starts, born
   * there through the spawner thread's own move, but for the memory hierarchy, which the child
   * enters by itself before its exec. A joining session with v2 gets null. A session that joins a
   * running sandbox with v1 moves itself in, just before its exec: the spawner thread is never a
   * member of a cgroup the sandbox has been filling, where its kernel allocations would count
   * against the sandbox's full limits. The descriptors it opens are added to {@code fds}, for the
   * caller to close.
   *
   * @param ours whether this JVM made the cgroup for the sandbox it is starting
   */
  SetupRunner.Birthplace birthplace(Kernel kernel, boolean ours, List<Integer> fds) {
    try {
      if (version.equals("v2")) {
        // A joining child sets up outside and is moved in by pid behind its exec gate: while it
        // sets up it shares the JVM's memory (CLONE_VM), and an OOM in a cgroup the sandbox keeps
        // full would score it by the JVM's memory and kill the JVM with it.
        if (intoRefused || !ours) {
          return null;
        }
        int fd =
            kernel.openat(
                Syscalls.AT_FDCWD,
                dirs.getFirst().toString(),
                Syscalls.O_RDONLY | Syscalls.O_DIRECTORY | Syscalls.O_CLOEXEC,
                0);
        fds.add(fd);
        return SetupRunner.Birthplace.directory(fd);
      }
      if (!ours) {
        int[] tasks = new int[dirs.size()];
        for (int i = 0; i < dirs.size(); i++) {
          tasks[i] = openTasks(kernel, dirs.get(i), fds);
        }
        return SetupRunner.Birthplace.bySelf(tasks);
      }
      // The memory hierarchy the child enters by itself, as its last steps before its exec: born
      // there, its setup (sharing the JVM's memory) would be charged inside, and an OOM there
      // would kill the JVM with it. The pids hierarchy it is born in, through the thread's move.
      List<Integer> enter = new ArrayList<>();
      List<Integer> leave = new ArrayList<>();
      List<Integer> self = new ArrayList<>();
      for (Path dir : dirs) {
        if (dir.equals(memory)) {
          self.add(openTasks(kernel, dir, fds));
        } else {
          enter.add(openTasks(kernel, dir, fds));
          // The JVM's own cgroup of the hierarchy: find() puts a v1 cgroup right below it.
          leave.add(openTasks(kernel, dir.getParent(), fds));
        }
      }
      return SetupRunner.Birthplace.byThread(ints(enter), ints(leave), ints(self));
    } catch (SyscallException e) {
      throw new SandboxException("cannot open the sandbox's cgroup: " + e.getMessage(), e);
    }
  }

  private static int[] ints(List<Integer> list) {
    return list.stream().mapToInt(Integer::intValue).toArray();
  }

  private static int openTasks(Kernel kernel, Path dir, List<Integer> fds) {
    int fd =
        kernel.openat(
            Syscalls.AT_FDCWD,
            dir.resolve("tasks").toString(),
            Syscalls.O_WRONLY | Syscalls.O_CLOEXEC,
            0);
    fds.add(fd);
    return fd;
  }

  /**
   * Writes the process limit that {@link #create} left for after the clone (v1: the spawner thread,
   * a member while it cloned, has left); before the child's release, so that it binds the child's
   * first fork. Raw system calls: this is the child's wait for its release.
   */
  void limitAfterClone(Kernel kernel) {
    if (pidsMax == null) {
      return;
    }
    int fd =
        kernel.openat(
            Syscalls.AT_FDCWD, pidsMax.toString(), Syscalls.O_WRONLY | Syscalls.O_CLOEXEC, 0);
    try {
      if (kernel.write(fd, processes, 0, processes.length) != processes.length) {
        throw new SandboxException("cannot write " + pidsMax + ": a short write");
      }
    } finally {
      kernel.close(fd);
    }
  }

  /**
   * Moves the calling thread back into the JVM's own cgroups, out of this one (v1), after a {@link
   * SetupRunner.Birthplace#byThread} move back failed.
   */
  void leaveAsThread(Kernel kernel) {
    byte[] self = {'0'};
    for (Path dir : dirs) {
      int fd =
          kernel.openat(
              Syscalls.AT_FDCWD,
              dir.getParent().resolve("tasks").toString(),
              Syscalls.O_WRONLY | Syscalls.O_CLOEXEC,
              0);
      try {
        kernel.write(fd, self, 0, 1);
      } finally {
        kernel.close(fd);
      }
    }
  }

  /** "v2" or "v1". */
  String version() {
    return version;
  }

  /** Moves the process {@code pid} (as the host sees it) into this cgroup. */
  void add(int pid) throws IOException {
    for (Path dir : dirs) {
      write(dir.resolve("cgroup.procs"), Integer.toString(pid));
    }
  }

  /** The cgroup's directories, one per hierarchy. */
  List<Path> dirs() {
    return dirs;
  }

  /**
   * Removes the cgroup. After the sandbox's PID 1 is reaped its processes are gone, but the kernel
   * may take a moment to see the cgroup empty; a v2 cgroup is emptied first (a sandbox that shares
   * the host's PID namespace may leave processes behind).
   */
  void remove() {
    Instant now = Instant.now();
    removeOwn();
    removeLeftovers(now);
  }

  /** {@link #remove()} without the housekeeping of other JVMs' leftovers. */
  void removeOwn() {
    for (Path dir : dirs.reversed()) {
      if (version.equals("v2")) {
        writeIfPresentQuietly(dir.resolve("cgroup.kill"), "1");
      }
      for (int attempt = 0; attempt < 100; attempt++) {
        try {
          Files.deleteIfExists(dir);
          break;
        } catch (FileSystemException e) {
          // EBUSY: still populated for a moment
          try {
            Thread.sleep(10);
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            break;
          }
        } catch (IOException e) {
          break; // left behind: empty and harmless, and named for its JVM
        }
      }
    }
  }

  /**
   * Removes what JVMs that are gone left beside this cgroup ({@link #removeLeftovers(Path,
   * Instant)}): housekeeping, which a JVM that halts meanwhile may cut short.
   */
  void removeLeftovers(Instant now) {
    dirs.stream().map(Path::getParent).distinct().forEach(p -> removeLeftovers(p, now));
  }

  private static boolean delegates(Path dir) {
    try {
      List<String> enabled =
          List.of(Files.readString(dir.resolve("cgroup.subtree_control")).strip().split("\\s+"));
      return enabled.contains("pids") && enabled.contains("memory");
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean writable(Path dir) {
    return Files.isDirectory(dir)
        && Files.isWritable(dir)
        && Files.isWritable(dir.resolve("cgroup.procs"));
  }

  private static Path under(Path mount, String path) {
    return path.equals("/") ? mount : mount.resolve(path.substring(1));
  }

  /** The cgroup mounts: "cgroup2", or each v1 controller's name, to its mount point. */
  private static Map<String, Path> mounts() throws IOException {
    Map<String, Path> m = new LinkedHashMap<>();
    // As bytes, one char each: a mount point that is not UTF-8 (any user's FUSE mount) must not
    // make the whole table unreadable; cgroup file systems are mounted at ASCII paths.
    for (String line :
        Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.ISO_8859_1)) {
      int dash = line.indexOf(" - ");
      if (dash < 0) {
        continue;
      }
      String[] left = line.substring(0, dash).split(" ");
      String[] right = line.substring(dash + 3).split(" ");
      if (left.length < 5 || right.length < 3 || !left[3].equals("/")) {
        continue; // a bind of part of a hierarchy: not where our own path is
      }
      Path at = Path.of(left[4].replace("\\040", " "));
      if (right[0].equals("cgroup2")) {
        m.putIfAbsent("cgroup2", at);
      } else if (right[0].equals("cgroup")) {
        for (String option : right[2].split(",")) {
          m.putIfAbsent(option, at);
        }
      }
    }
    return m;
  }

  // WRITE alone: cgroup files exist already, and one write(2) carries the whole value.
  private static void write(Path file, String value) throws IOException {
    Files.writeString(file, value, java.nio.file.StandardOpenOption.WRITE);
  }

  private static void writeIfPresent(Path file, String value) throws IOException {
    try {
      write(file, value);
    } catch (NoSuchFileException e) {
      // this kernel has no such knob (no swap accounting)
    }
  }

  private static void writeIfPresentQuietly(Path file, String value) {
    try {
      writeIfPresent(file, value);
    } catch (IOException e) {
      // removal below then says whether anything is left
    }
  }
}
