package dev.robojail.jail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * The process that supervises a running jail, identified so that a stale record is recognised.
 *
 * <p>A pid alone is not enough: after a crash the pid is reused by an unrelated process, and after
 * a reboot every pid is. The start time ({@code /proc/PID/stat} field 22, in clock ticks since
 * boot) tells a reused pid apart, and the boot id ({@code /proc/sys/kernel/random/boot_id}) tells a
 * different boot apart.
 *
 * @param pid the process id
 * @param startTime the process's start time in clock ticks since boot
 * @param bootId the boot id of the boot it started in
 */
public record Supervisor(long pid, long startTime, String bootId) {
  private static final Path PROC = Path.of("/proc");

  public Supervisor {
    Objects.requireNonNull(bootId, "bootId");
  }

  /** The supervisor record of this JVM. */
  public static Supervisor current() {
    return of(ProcessHandle.current().pid())
        .orElseThrow(() -> new JailException("cannot read /proc/self/stat"));
  }

  /** The supervisor record of a live process, or empty if it is gone or /proc is unreadable. */
  public static Optional<Supervisor> of(long pid) {
    return of(PROC, pid);
  }

  static Optional<Supervisor> of(Path proc, long pid) {
    Optional<String> bootId = bootId(proc);
    Optional<ProcStat> stat = ProcStat.read(proc, pid);
    if (bootId.isEmpty() || stat.isEmpty() || stat.get().isDead()) {
      return Optional.empty();
    }
    return Optional.of(new Supervisor(pid, stat.get().startTime(), bootId.get()));
  }

  /** Whether this very process is still running: same boot, same pid, same start time. */
  public boolean isAlive() {
    return isAlive(PROC);
  }

  boolean isAlive(Path proc) {
    return of(proc, pid).map(this::equals).orElse(false);
  }

  // Written out: a record's own equals and hashCode are linked at their first call through
  // ObjectMethods, which no AOT cache keeps, and exec and list call them on every start.
  @Override
  public boolean equals(Object o) {
    return o instanceof Supervisor s
        && pid == s.pid
        && startTime == s.startTime
        && bootId.equals(s.bootId);
  }

  @Override
  public int hashCode() {
    return (Long.hashCode(pid) * 31 + Long.hashCode(startTime)) * 31 + bootId.hashCode();
  }

  private static Optional<String> bootId(Path proc) {
    try {
      return Optional.of(Files.readString(proc.resolve("sys/kernel/random/boot_id")).strip());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The two fields of {@code /proc/PID/stat} that matter here. */
  record ProcStat(char state, long startTime) {
    boolean isDead() {
      return state == 'Z' || state == 'X' || state == 'x';
    }

    static Optional<ProcStat> read(Path proc, long pid) {
      try {
        return parse(Files.readString(proc.resolve(Long.toString(pid)).resolve("stat")));
      } catch (IOException e) {
        return Optional.empty();
      }
    }

    // The command name (field 2) is in parentheses and may itself contain spaces and
    // parentheses, so fields are counted from the last ')'.
    static Optional<ProcStat> parse(String stat) {
      int close = stat.lastIndexOf(')');
      if (close < 0 || close + 2 > stat.length()) {
        return Optional.empty();
      }
      String[] fields = stat.substring(close + 2).strip().split(" ");
      final int state = 0; // field 3
      final int startTime = 19; // field 22
      if (fields.length <= startTime || fields[state].isEmpty()) {
        return Optional.empty();
      }
      try {
        return Optional.of(
            new ProcStat(fields[state].charAt(0), Long.parseLong(fields[startTime])));
      } catch (NumberFormatException e) {
        return Optional.empty();
      }
    }
  }
}
