package dev.robojail.sandbox;

import dev.robojail.ffm.InitBinary;
import dev.robojail.ffm.Kernel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The work of a sandbox's start that depends only on the host and this process, done ahead on the
 * thread that links the native calls ({@link Kernel#linkAhead(Runnable)}), for a caller about to
 * start or join a sandbox: the walk of the host's {@code /etc} ({@code HostEtc.covers}, ~7.5 ms of
 * an interpreted {@code run}), the host's facts ({@code HostFacts.probeHost}) and, for a start,
 * where its cgroup can go ({@code Cgroup.find}) and the init's memfd ({@code InitBinary.fd}, once
 * per JVM), which then overlap the caller's own work before the start on the second core.
 *
 * <p>Each result is taken at most once, by the first to ask for it: the walk by the next spec made
 * with the minimal system ({@code Presets}; a spec to join drops it), whose builder waits for it
 * only when it builds the spec ({@code PendingCovers}), and the facts by the next {@code
 * HostFacts.probe}, and the cgroup's place by the next cgroup made ({@code Cgroup.create}), unless
 * the walk was dropped. One that finds no work started, a walk of another {@code /etc} or for
 * another target, an {@code /etc} that resolves elsewhere since, or a failed walk (the thread
 * leaves no result then) does the work itself, so that its errors read as they would have without
 * this. A walk is a snapshot of {@code /etc} taken before the clone either way, now as the command
 * starts rather than a few milliseconds later (SECURITY.md).
 *
 * <p>Class initialisation on the two threads: the link thread initialises, besides the JDK's
 * classes, the walk's ({@code SyscallBatch}, which needs {@code Stat}; {@code Stat}, {@code
 * Dirent64}, {@code Rlimit}, {@code Errno}, ffm's {@code Native$Code}) and the probe's ({@code
 * Rlimit}, {@code SetupPlan}, whose initialiser makes lists of strings), the place's ({@code
 * Cgroup}, whose initialiser makes an {@code AtomicLong}) and the init's ({@code InitBinary},
 * {@code X86_64Init}, {@code Procfs}, {@code Structs}), none of which needs in its initialiser a
 * class of robojail's but {@code Stat}, whose own needs only the JDK's layouts. The caller's thread
 * may initialise any of them too, and waits for the other thread where both meet; but a wait of one
 * thread for a class the other initialises can lead only into the JDK, never back to a class the
 * waiting thread holds, so no cycle, and so no deadlock, can form. This class, its work and {@code
 * PendingCovers} have no initialiser, and the caller waits for the work only from a spec's build or
 * a start, never from a class initialiser. A class added to the work keeps that rule ({@code
 * HostAheadTest} starts both sides in fresh JVMs in either order).
 */
public final class HostAhead {
  private static final String ETC = "/etc";
  private static final long RECHECK_MILLIS = 5;

  /**
   * How long after the work was started a spec may still claim its walk; a later one walks itself.
   * A {@code run}'s spec asks some 30 ms after the start on a quiet machine and rarely more than
   * 100 on a loaded one, so that the bound costs a second walk (~7.5 ms) almost never; a library
   * caller's spec made minutes later, or one whose start waited for the state, gets a walk of its
   * own. Counted from {@link #start}, the earliest the walk can begin, so that it bounds the walk's
   * age whether or not the walk has begun by the claim.
   */
  static final long MAX_AGE_NANOS = 200_000_000L;

  // The work started last, until both its results are taken; guarded by HostAhead.class.
  private static Work pending;

  // The work started last that finds the cgroup's place, until a cgroup is made or the walk is
  // dropped; guarded by HostAhead.class. Apart from pending, since a start without limits takes
  // no place.
  private static Work placing;

  private HostAhead() {}

  /**
   * Starts linking the native calls on a thread of its own and then, on that thread, gathers the
   * host's facts and, unless {@code join}, walks the host's {@code /etc}, for the next sandbox this
   * JVM starts or joins (a session that joins a running sandbox does not walk {@code /etc}).
   *
   * @param join whether the sandbox to come joins a running one, for which nothing reads {@code
   *     /etc}
   */
  public static void start(boolean join) {
    start(join, Path.of(ETC));
  }

  /**
   * {@link #start(boolean)} with {@code etc} as the host's {@code /etc}; the work started, or null.
   */
  static Work start(boolean join, Path etc) {
    Work w = new Work(!join, etc, System.nanoTime());
    Thread t = Kernel.linkAhead(w);
    if (t == null) {
      return null;
    }
    synchronized (HostAhead.class) {
      w.thread = t;
      pending = w;
      placing = w.walks ? w : null;
    }
    return w;
  }

  /**
   * The walk started ahead, if it is of {@code source} (as given, before its links are resolved)
   * and no spec has asked for it yet; null when the caller must walk itself. The first spec to ask
   * takes it, for itself or for none: it serves no later one, nor one later than {@link
   * #MAX_AGE_NANOS}.
   */
  static Work claimWalk(Path source) {
    return claimWalk(source, System.nanoTime());
  }

  /** {@link #claimWalk(Path)} at {@code now} ({@link System#nanoTime()}). */
  static Work claimWalk(Path source, long now) {
    synchronized (HostAhead.class) {
      Work w = pending;
      if (w == null || !w.walks || w.coversTaken) {
        return null;
      }
      w.coversTaken = true;
      release(w);
      boolean young = now - w.startedNanos <= MAX_AGE_NANOS;
      return young && w.source.equals(source) ? w : null;
    }
  }

  /**
   * The covers the claimed walk {@code w} made, waiting for it, if it walked {@code real} for
   * {@code target} and worked; null when the caller must walk itself (and meet the failure).
   */
  static List<Mount.Cover> covers(Work w, Path real, String target) {
    if (!await(w, WALK) || w.covers == null || !ETC.equals(target) || !w.etc.equals(real)) {
      return null;
    }
    return w.covers;
  }

  /**
   * Drops the walk started ahead, so that the next spec with the host's {@code /etc} walks it
   * itself: for a sandbox that has no host's {@code /etc} of its own (one that joins), or a start
   * that waited (for another session's start, the state, a recovery), after which the walk would be
   * older than the spec needs. A walk not begun yet is not made.
   */
  public static void dropCovers() {
    synchronized (HostAhead.class) {
      Work w = pending;
      if (w != null && w.walks) {
        w.coversTaken = true;
        w.dropped = true;
        release(w);
      }
      placing = null;
    }
  }

  /**
   * Puts into {@code b} the covers of the host's {@code /etc} that a walk ahead is still making for
   * it, waiting for them, and fails as the walk would have failed without the work ahead: for a
   * caller whose next steps change things outside the spec, which a failed walk must never leave
   * behind. Nothing when {@code b} waits for no walk.
   *
   * @throws SandboxException.InvalidSpec when the host's {@code /etc} cannot be walked
   */
  public static void awaitCovers(Sandbox.Builder b) {
    if (b.awaitsCovers()) {
      // The caller's thread is about to wait for the link thread's walk: the plan's classes are
      // initialised meanwhile, rather than on the way from the walk to the clone.
      SetupPlan.initialiseAhead();
    }
    b.spliceCovers();
  }

  /** The host's facts gathered ahead, once; null when the caller must probe itself. */
  static HostFacts takeFacts() {
    Work w;
    synchronized (HostAhead.class) {
      w = pending;
      if (w == null || w.factsTaken) {
        return null;
      }
      w.factsTaken = true;
      release(w);
    }
    return await(w, PROBE) ? w.facts : null;
  }

  /**
   * Where the host lets this JVM make cgroups ({@code Cgroup.find}), found ahead, once, for the
   * first cgroup made within {@link #MAX_AGE_NANOS} of the start of a command that walks {@code
   * /etc}; null when the caller must find it itself. Dropped with the walk: a start that waited
   * finds it again, as it walks again.
   */
  static Optional<Cgroup.Place> takePlace() {
    return takePlace(System.nanoTime());
  }

  /** {@link #takePlace()} at {@code now} ({@link System#nanoTime()}). */
  static Optional<Cgroup.Place> takePlace(long now) {
    Work w;
    synchronized (HostAhead.class) {
      w = placing;
      placing = null;
    }
    if (w == null || w.dropped || now - w.startedNanos > MAX_AGE_NANOS || !await(w, PLACE)) {
      return null;
    }
    return w.place;
  }

  // Forgets the work once nothing of it is left to take.
  private static void release(Work w) {
    if (w.factsTaken && (w.coversTaken || !w.walks)) {
      pending = null;
    }
  }

  private static final int WALK = 0;
  private static final int PROBE = 1;
  private static final int PLACE = 2;

  /**
   * Waits for the walk, the probe or the place of {@code w} ({@code part}), each told as it is done
   * rather than at the thread's end, so that the spec does not wait for the facts; whether it was
   * done. A thread whose link failed ends without running the work, which the wait notices within
   * {@link #RECHECK_MILLIS}; an interrupted wait leaves the work to the caller.
   */
  private static boolean await(Work w, int part) {
    synchronized (w) {
      while (!w.done(part)) {
        if (!w.thread.isAlive()) {
          return false;
        }
        try {
          w.wait(RECHECK_MILLIS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return true;
    }
  }

  /**
   * What the link thread runs after the link. Its results are written there before the flag that
   * tells them done, under the lock {@link #await} reads that flag under, which orders them.
   */
  static final class Work implements Runnable {
    final boolean walks;
    final Path source;
    final long startedNanos;
    Thread thread;
    boolean coversTaken;
    boolean factsTaken;
    Path etc;
    List<Mount.Cover> covers;
    HostFacts facts;
    // null when the caller must find it itself
    Optional<Cgroup.Place> place;
    // Set when the walk is no longer wanted, read by the link thread before it walks.
    volatile boolean dropped;
    // guarded by this
    private boolean walked;
    private boolean probed;
    private boolean placed;

    Work(boolean walks, Path source, long startedNanos) {
      this.walks = walks;
      this.source = source;
      this.startedNanos = startedNanos;
    }

    // guarded by this
    private boolean done(int part) {
      return part == WALK ? walked : part == PROBE ? probed : placed;
    }

    @Override
    public void run() {
      // The caller needs the walk first (its spec), the facts later (its plan). A walk dropped
      // before it began (a spec to join, a start that waited) is not made, so that the facts a
      // joining session's probe waits for do not wait behind a walk nothing uses.
      if (walks && !dropped) {
        try {
          Path real = source.toRealPath();
          covers = HostEtc.covers(real, ETC);
          etc = real;
        } catch (IOException | RuntimeException | Error e) {
          // No result: the caller walks again and reports the failure as it would have (and an
          // error printed by this thread's end would be a line the caller never wrote).
          covers = null;
        }
        synchronized (this) {
          walked = true;
          notifyAll();
        }
      }
      try {
        facts = HostFacts.probeHost();
      } catch (RuntimeException | Error e) {
        facts = null; // the caller probes again and meets the failure itself
      }
      synchronized (this) {
        probed = true;
        notifyAll();
      }
      // Last, for the cgroup made after the plan: where it can go and the prefix of its name,
      // ~2 ms of an interpreted run's main thread between its spec and its clone (mountinfo, the
      // JVM's cgroup, the checks of the parent's delegation and access, /proc/PID/stat). Only for
      // a start, which makes a cgroup; a join enters its jail's.
      if (walks && !dropped) {
        try {
          place = Cgroup.findForStart();
          Cgroup.prefix();
        } catch (RuntimeException | Error e) {
          place = null; // the caller finds it again and meets the failure itself
        }
        synchronized (this) {
          placed = true;
          notifyAll();
        }
        // And the init's sealed memfd, made once per JVM (~0.7 ms interpreted), which the start's
        // probe asks for between its spec and its clone, whichever thread makes it first; a
        // failure to make it is kept there and told as it is without this.
        try {
          InitBinary.fd();
        } catch (RuntimeException | Error e) {
          // the probe asks again
        }
      }
    }
  }
}
