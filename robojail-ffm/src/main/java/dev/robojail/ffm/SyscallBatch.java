package dev.robojail.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * System calls made together, in the calling thread, through one downcall into robojail's batch
 * routine ({@code batch-x86_64.s}) rather than one each: a walk of a directory tree makes a call
 * per entry, and in cold code the crossing from Java into native code costs several times what the
 * kernel then does for a stat or an open.
 *
 * <p>Calls are added in order, each returning its index, and made in that order by {@link #run}; a
 * failure does not stop the batch, and each call's result is then its own: {@link #result} (the
 * kernel's, or {@code -errno}), {@link #mode} for a stat, {@link DirentBuffer#length} for a
 * listing, {@link #failure} as the exception the typed wrapper in {@link Syscalls} would have
 * thrown. A descriptor can be the result of an earlier call of the same batch ({@link
 * #fstatOpened}, {@link #getdents64Opened}); when that call failed, the later one is not made and
 * has the same {@code -errno}. Names are handed to the kernel only from a {@link DirentBuffer},
 * where they are checked to end with their NUL, or copied from a string: the kernel is given no
 * pointer that Java has not bounded. Nothing here reads or writes native memory but by a bulk copy
 * from or to a Java array, so a batch spins no {@code VarHandle} at run time.
 */
public final class SyscallBatch {
  // A call's record, as the routine reads it: nr, six arguments, flags, result.
  private static final int WORDS = 9;
  private static final int FLAGS = 7;
  private static final int RESULT = 8;
  private static final long STAT_SIZE = Stat.LAYOUT.byteSize();
  private static final int STAT_INTS = (int) (STAT_SIZE / 4);
  private static final int MODE_INT = (int) (Stat.MODE / 4);

  private final Arena arena;
  private final MemorySegment calls;
  private final long[] words;
  private final MemorySegment stats;
  private final int[] statInts;
  // The two arrays as segments, for the copies of each run: a copy between two segments skips the
  // array copy's checks of element kind and alignment, about half of its interpreted cost.
  private final MemorySegment wordsOnHeap;
  private final MemorySegment statsOnHeap;
  // Per call: the stat it fills (or -1), the buffer a getdents64 fills, the buffer and record its
  // name came from, for its description.
  private final int[] statOf;
  private final DirentBuffer[] fills;
  private final DirentBuffer[] namesFrom;
  private final int[] nameAt;
  // Per call naming a record: the fill of its buffer the name was checked against.
  private final int[] nameFill;
  private final String[] paths;
  private int count;
  private int statCount;

  /** A batch of up to {@code capacity} calls, of which up to {@code statCapacity} stats. */
  public SyscallBatch(Arena arena, int capacity, int statCapacity) {
    this.arena = arena;
    long callBytes = (long) WORDS * 8 * capacity;
    MemorySegment memory = Native.pages(arena, callBytes + STAT_SIZE * Math.max(1, statCapacity));
    this.calls = memory.asSlice(0, callBytes);
    this.words = new long[WORDS * capacity];
    this.stats = memory.asSlice(callBytes);
    this.statInts = new int[STAT_INTS * statCapacity];
    this.wordsOnHeap = MemorySegment.ofArray(words);
    this.statsOnHeap = MemorySegment.ofArray(statInts);
    this.statOf = new int[capacity];
    this.fills = new DirentBuffer[capacity];
    this.namesFrom = new DirentBuffer[capacity];
    this.nameAt = new int[capacity];
    this.nameFill = new int[capacity];
    this.paths = new String[capacity];
  }

  /** How many more calls fit. */
  public int room() {
    return statOf.length - count;
  }

  /** How many more stats fit. */
  public int statRoom() {
    return statInts.length / STAT_INTS - statCount;
  }

  /** How many calls it holds. */
  public int size() {
    return count;
  }

  /** Empties the batch for new calls; the results of the last run are gone. */
  public void clear() {
    for (int i = 0; i < count; i++) {
      DirentBuffer f = fills[i];
      if (f != null && f.filling == this) {
        f.filling = null;
      }
      DirentBuffer n = namesFrom[i];
      if (n != null && n.naming == this) {
        n.naming = null;
      }
      fills[i] = null;
      namesFrom[i] = null;
      paths[i] = null;
    }
    count = 0;
    statCount = 0;
  }

  /** {@code openat(dirfd, name, flags)} of the record at {@code at} of {@code names}. */
  public int openat(int dirfd, DirentBuffer names, int at, int flags) {
    int i = add(Sysno.OPENAT, dirfd, names.nameAddress(at, this), flags, 0, 0, 0, 0);
    named(i, names, at);
    return i;
  }

  /** {@code openat(dirfd, path, flags)} of a path given as a string (UTF-8). */
  public int openat(int dirfd, String path, int flags) {
    byte[] utf8 = path.getBytes(StandardCharsets.UTF_8);
    MemorySegment c = arena.allocate(utf8.length + 1L, 1); // zeroed: the NUL is there
    MemorySegment.copy(utf8, 0, c, ValueLayout.JAVA_BYTE, 0, utf8.length);
    int i = add(Sysno.OPENAT, dirfd, c.address(), flags, 0, 0, 0, 0);
    paths[i] = path;
    return i;
  }

  /** {@code newfstatat(dirfd, name, stat, flags)} of the record at {@code at} of {@code names}. */
  public int fstatat(int dirfd, DirentBuffer names, int at, int flags) {
    long name = names.nameAddress(at, this);
    int s = stat();
    int i = add(Sysno.NEWFSTATAT, dirfd, name, statAddress(s), flags, 0, 0, 0);
    statOf[i] = s;
    named(i, names, at);
    return i;
  }

  /** {@code fstat} of the descriptor that call {@code opened} of this batch returns. */
  public int fstatOpened(int opened) {
    int s = stat();
    int i = add(Sysno.FSTAT, resultAddress(opened), statAddress(s), 0, 0, 0, 0, 1);
    statOf[i] = s;
    return i;
  }

  /** {@code getdents64} of the descriptor that call {@code opened} returns, into {@code into}. */
  public int getdents64Opened(int opened, DirentBuffer into) {
    return getdents64(resultAddress(opened), into, 1);
  }

  /** {@code getdents64(fd)} into {@code into}. */
  public int getdents64(int fd, DirentBuffer into) {
    return getdents64(fd, into, 0);
  }

  /** {@code close(fd)}. */
  public int close(int fd) {
    return add(Sysno.CLOSE, fd, 0, 0, 0, 0, 0, 0);
  }

  /**
   * Makes the calls, in order, through one downcall. Refuses the whole batch, making no call, when
   * memory it would hand the kernel is gone (an arena closed) or a buffer it takes a name from was
   * filled again since the name was added: the kernel would read or write freed memory, or a name
   * Java did not bound.
   */
  public void run() {
    if (count == 0) {
      return;
    }
    if (!calls.scope().isAlive()) {
      throw new IllegalStateException("the batch's arena is closed");
    }
    for (int i = 0; i < count; i++) {
      DirentBuffer f = fills[i];
      DirentBuffer n = namesFrom[i];
      if (f != null && !f.records.scope().isAlive() || n != null && !n.records.scope().isAlive()) {
        throw new IllegalStateException("call " + i + " names a buffer whose arena is closed");
      }
      if (n != null && n.fills != nameFill[i]) {
        throw new IllegalStateException(
            "call " + i + " names a record of a buffer filled again since it was added");
      }
    }
    long callBytes = 8L * WORDS * count;
    MemorySegment.copy(wordsOnHeap, 0, calls, 0, callBytes);
    Native.batch(calls, count);
    MemorySegment.copy(calls, 0, wordsOnHeap, 0, callBytes);
    if (statCount > 0) {
      MemorySegment.copy(stats, 0, statsOnHeap, 0, 4L * STAT_INTS * statCount);
    }
    for (int i = 0; i < count; i++) {
      if (fills[i] != null) {
        fills[i].filled(words[i * WORDS + RESULT]);
      }
    }
  }

  /** The result of call {@code i} of the last run: the kernel's, or {@code -errno}. */
  public long result(int i) {
    return words[check(i) * WORDS + RESULT];
  }

  /** The {@code st_mode} a stat call {@code i} filled in, when its {@link #result} is 0. */
  public int mode(int i) {
    int s = statOf[check(i)];
    if (s < 0) {
      throw new IllegalArgumentException("call " + i + " is not a stat");
    }
    return statInts[s * STAT_INTS + MODE_INT];
  }

  /** Call {@code i}'s failure as the typed wrapper in {@link Syscalls} reports it. */
  public SyscallException failure(int i) {
    check(i);
    long r = result(i);
    if (r >= 0) {
      throw new IllegalStateException("call " + i + " did not fail");
    }
    return new SyscallException(describe(i), (int) -r);
  }

  private String describe(int i) {
    int w = i * WORDS;
    long nr = words[w];
    boolean indirect = words[w + FLAGS] != 0;
    String fd =
        indirect
            ? "fd of call " + (words[w + 1] - calls.address() - RESULT * 8) / (WORDS * 8)
            : Long.toString(words[w + 1]);
    String name =
        paths[i] != null
            ? Syscalls.quote(paths[i])
            : namesFrom[i] != null ? namesFrom[i].quoted(nameAt[i]) : "";
    if (nr == Sysno.OPENAT) {
      return "openat("
          + Syscalls.dirfd((int) words[w + 1])
          + ", "
          + name
          + ", "
          + Flags.open((int) words[w + 3])
          + ")";
    } else if (nr == Sysno.NEWFSTATAT) {
      return "fstatat("
          + Syscalls.dirfd((int) words[w + 1])
          + ", "
          + name
          + ", "
          + Syscalls.atFlags((int) words[w + 4])
          + ")";
    } else if (nr == Sysno.FSTAT) {
      return "fstat(" + fd + ")";
    } else if (nr == Sysno.GETDENTS64) {
      return "getdents64(" + fd + ", " + words[w + 3] + ")";
    }
    return "close(" + fd + ")";
  }

  private int getdents64(long fd, DirentBuffer into, long flags) {
    if (into.naming == this) {
      throw new IllegalStateException("a batch cannot fill a buffer it names a record of");
    }
    int i =
        add(Sysno.GETDENTS64, fd, into.records.address(), into.records.byteSize(), 0, 0, 0, flags);
    into.filling = this;
    fills[i] = into;
    return i;
  }

  private void named(int i, DirentBuffer names, int at) {
    namesFrom[i] = names;
    nameAt[i] = at;
    nameFill[i] = names.fills;
  }

  private int stat() {
    if (statRoom() == 0) {
      throw new IllegalStateException("the batch has no room for another stat");
    }
    return statCount++;
  }

  private long statAddress(int s) {
    return stats.address() + s * STAT_SIZE;
  }

  private long resultAddress(int call) {
    return calls.address() + ((long) check(call) * WORDS + RESULT) * 8;
  }

  private int check(int i) {
    if (i < 0 || i >= count) {
      throw new IndexOutOfBoundsException("no call " + i + " in the batch");
    }
    return i;
  }

  private int add(int nr, long a0, long a1, long a2, long a3, long a4, long a5, long flags) {
    if (count == statOf.length) {
      throw new IllegalStateException("the batch is full");
    }
    int w = count * WORDS;
    words[w] = nr;
    words[w + 1] = a0;
    words[w + 2] = a1;
    words[w + 3] = a2;
    words[w + 4] = a3;
    words[w + 5] = a4;
    words[w + 6] = a5;
    words[w + 7] = flags;
    words[w + 8] = 0;
    statOf[count] = -1;
    return count++;
  }
}
