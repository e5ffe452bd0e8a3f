package dev.robojail.jail;

import dev.robojail.sandbox.Sandbox;
import dev.robojail.sandbox.ShutdownHooks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Makes jails: checks the repository, the starting point and the entrypoint, reserves the name,
 * then makes the branch, the private git directory and the worktree, and undoes all of it if any
 * step fails.
 */
final class JailCreator {
  private static final String INIT_HINT = "run: git init && git add . && git commit -m initial";

  // In a holder: every command makes a JailCreator, and a SecureRandom's first use (the security
  // providers) cost `list` and `run` about 9 ms of CPU; only `create` needs it.
  private static final class Random {
    static final SecureRandom INSTANCE = new SecureRandom();
  }

  private final Git git;
  private final StateStore store;
  private final JailLayout layout;
  private final JailFiles files;
  private final Path home;
  private final AgentProfiles agents;

  JailCreator(
      Git git,
      StateStore store,
      JailLayout layout,
      JailFiles files,
      Path home,
      AgentProfiles agents) {
    this.git = git;
    this.store = store;
    this.layout = layout;
    this.files = files;
    this.home = home;
    this.agents = agents;
  }

  /** See {@link Jails#create(CreateOptions)}. */
  JailState create(CreateOptions options) {
    String name = options.name();
    Path repo = options.repo();
    JailName jailName = JailName.of(name);
    // Before anything is looked at: a wrong profile name is the user's typo.
    Optional<AgentProfile> agent =
        options.agent().isPresent()
            ? Optional.of(agents.require(options.agent().get()))
            : agents.inferFrom(options.entrypoint());
    List<String> entrypoint = options.entrypoint();
    if (entrypoint.isEmpty() && agent.isPresent()) {
      entrypoint = new ArrayList<>(List.of(agent.get().command()));
      entrypoint.addAll(agent.get().args());
    }
    // Path.of("") is the current directory to Java; a user who typed --repo "" meant none.
    if (repo.toString().isEmpty()) {
      throw new InvalidInputException("invalid repository: an empty path");
    }
    Path dir = repo.toAbsolutePath().normalize();
    if (!Files.exists(dir)) {
      throw new JailException(
          "the repository " + TerminalSafe.sanitizeLine(dir.toString()) + " does not exist");
    }
    if (!Files.isDirectory(dir)) {
      throw new JailException(
          "the repository " + TerminalSafe.sanitizeLine(dir.toString()) + " is not a directory");
    }
    String start = options.branch().orElse("HEAD");
    // Git would take it for an option; the user gave it, so it is refused as input, before git.
    if (start.startsWith("-")) {
      throw new InvalidInputException(
          "invalid branch or commit: " + TerminalSafe.sanitizeLine(start) + " (starts with -)");
    }
    // One git process answers everything in the usual case; the others only find out what is
    // wrong.
    Optional<Git.RepoInfo> found = git.repoInfo(dir, start);
    if (found.isEmpty()) {
      if (git.isBareRepository(dir)) {
        throw new JailException(
            "bare repositories are not supported: "
                + TerminalSafe.sanitizeLine(dir.toString())
                + " has no working tree to start a jail from; clone it, and create the jail from"
                + " the clone");
      }
      if (!git.isRepository(dir)) {
        throw new JailException(
            "not a git repository: "
                + TerminalSafe.sanitizeLine(dir.toString())
                + "; "
                + INIT_HINT);
      }
      Path top = git.topLevel(dir);
      if (!git.hasCommits(top)) {
        throw new JailException(
            "the repository "
                + TerminalSafe.sanitizeLine(top.toString())
                + " has no commits yet; "
                + INIT_HINT);
      }
      throw new JailException("no such branch or commit: " + TerminalSafe.sanitizeLine(start));
    }
    Git.RepoInfo info = found.get();
    Path top = info.topLevel();
    String base = info.commit();
    List<String> resolvedEntrypoint =
        entrypoint.isEmpty() ? List.of() : resolveEntrypoint(entrypoint, agent);
    // Said now rather than at the first enter: the project's settings as the jail will get them.
    List<String> entry = resolvedEntrypoint;
    agent.ifPresent(
        a -> AgentHome.refuseOwnSandbox(a, entry, top, layout.home(jailName), home.toString()));
    String jailBranch = "robojail/" + name + "-" + HexFormat.of().formatHex(randomBytes(4));
    Path worktree = layout.worktree(jailName);

    Path gitDir = layout.gitDir(jailName);
    Supervisor me = Supervisor.current();
    JailState reservation =
        new JailState(
            jailName,
            top,
            jailBranch,
            base,
            worktree,
            gitDir,
            Instant.now(),
            resolvedEntrypoint,
            JailState.Phase.CREATING,
            me,
            List.of(),
            agent.map(AgentProfile::name).orElse(""),
            options.network());
    store.requireSpace();
    // The hook is in place before the name is reserved, so that no signal finds a reservation
    // without it; it undoes nothing until the reservation is this create's.
    Rollback rollback = new Rollback(reservation);
    Thread onSignal = new Thread(rollback::onSignal, "robojail-create-rollback");
    ShutdownHooks.add(onSignal);
    try {
      rollback.beginSteps();
      if (!store.putIfAbsent(reservation)) {
        throw new JailConflictException("jail " + name + " exists");
      }
      rollback.reserved = true;
      if (Files.exists(worktree, LinkOption.NOFOLLOW_LINKS)) {
        throw new JailException(
            "the jail directory "
                + TerminalSafe.sanitizeLine(worktree.toString())
                + " exists already; remove it, or choose another name");
      }
      if (Files.exists(gitDir, LinkOption.NOFOLLOW_LINKS)) {
        throw new JailException(
            "the jail's git directory "
                + TerminalSafe.sanitizeLine(gitDir.toString())
                + " exists already; remove it, or choose another name");
      }
      layout.makePrivate();
      JailRecords.write(layout, reservation);
      rollback.worktreeMade = true;
      // Before the git steps, which a signal interrupts: the rollback (from the shutdown hook)
      // deletes the home while this thread may still run, so nothing may make it after git.
      new AgentHome(layout, home).ensure(jailName);
      // The user's branch first, create-only: it keeps the base commit reachable in the user's
      // repository, and two jails can never share a branch.
      git.run(top, "update-ref", "refs/heads/" + jailBranch, base, "0".repeat(base.length()));
      Map<String, String> identity = new LinkedHashMap<>(git.identity(top, home));
      identity.putIfAbsent("name", "robojail " + name);
      identity.putIfAbsent("email", "robojail@localhost");
      JailGitDir.create(
          git,
          top,
          info.commonDir(),
          info.objectFormat(),
          gitDir,
          worktree,
          jailBranch,
          base,
          identity);
      saveCheckoutIndex(gitDir, jailName);
      JailState ready = reservation.inPhase(JailState.Phase.READY, null);
      store.update(
          jails -> {
            JailState current = jails.get(jailName);
            if (current == null || !me.equals(current.owner())) {
              throw new JailConflictException(
                  "jail " + name + " was taken over while it was being created");
            }
            jails.put(jailName, ready);
            return jails;
          });
      return ready;
    } catch (IOException | RuntimeException e) {
      rollback.endSteps();
      if (Git.isEnding()) {
        // A signal ended git under us: the JVM is exiting, and the hook's line is the message.
        rollback.onSignal();
        awaitExit();
      }
      rollback.run(e);
      if (e instanceof JailException je) {
        throw je;
      }
      throw new JailException(
          TerminalSafe.sanitizeLine("cannot create jail " + name + ": " + describe(e)), e);
    } finally {
      rollback.endSteps();
      try {
        ShutdownHooks.remove(onSignal);
      } catch (IllegalStateException e) {
        // The JVM is exiting: the hook runs, or ran, the rollback.
      }
    }
  }

  private static void awaitExit() {
    try {
      Thread.sleep(Long.MAX_VALUE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String describe(Exception e) {
    return e instanceof IOException io ? StateStore.reason(io) : e.getMessage();
  }

  /**
   * Undoes a create exactly once, whether it failed or the JVM is ending on SIGTERM or SIGINT (then
   * from a shutdown hook, while the creating thread may still be running: git is stopped first, so
   * nothing writes into what is deleted, and the hook returns, letting the JVM halt, only once the
   * rollback is complete, whichever thread did it).
   *
   * <p>The creating thread makes the jail's files while it holds {@link #steps}, and the hook takes
   * it before it deletes anything: stopping git only stops the git steps, and a directory or file
   * that the thread made in Java just after the rollback had deleted it outlived the rollback, with
   * no entry left that would have the next command remove it (so the next create refused the name:
   * "the jail directory exists already").
   */
  private final class Rollback {
    private final JailState reservation;
    private final AtomicBoolean started = new AtomicBoolean();
    private final CountDownLatch finished = new CountDownLatch(1);
    private final ReentrantLock steps = new ReentrantLock();
    private boolean signalled; // guarded by steps
    volatile boolean reserved;
    volatile boolean worktreeMade;

    Rollback(JailState reservation) {
      this.reservation = reservation;
    }

    /** The creating thread's steps begin; none does once a signal's rollback has begun. */
    void beginSteps() {
      steps.lock();
      if (signalled) {
        steps.unlock();
        throw new JailException("interrupted");
      }
    }

    /** The creating thread makes nothing more (it may roll back, which takes no lock). */
    void endSteps() {
      if (steps.isHeldByCurrentThread()) {
        steps.unlock();
      }
    }

    /** From the shutdown hook, or from the creating thread when git ended for that reason. */
    void onSignal() {
      Git.endAll();
      // Waits for the step in progress: ended git makes it fail at once, a step in Java is short.
      steps.lock();
      try {
        signalled = true;
      } finally {
        steps.unlock();
      }
      run(new JailException("interrupted"), true);
    }

    /** Rolls back; false if another thread did (this one then waits until it is done). */
    boolean run(Exception failure) {
      return run(failure, false);
    }

    private boolean run(Exception failure, boolean fromSignal) {
      if (!reserved) {
        return false;
      }
      if (!started.compareAndSet(false, true)) {
        try {
          finished.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return false;
      }
      try {
        undo(failure);
        if (fromSignal) {
          // The one line a user sees on Ctrl-C; a library's JVM is ending anyway. Said before the
          // hook may return: once it has, the JVM halts, and a line the creating thread was about
          // to print was lost.
          System.err.println(
              "robojail: interrupted; jail "
                  + reservation.name()
                  + " was not created (rolled back"
                  + (failure.getSuppressed().length == 0
                      ? ")"
                      : " in part; the next robojail command finishes it)"));
          System.err.flush();
        }
      } finally {
        finished.countDown();
      }
      return true;
    }

    private void undo(Exception failure) {
      Path repo = reservation.repo();
      try {
        if (worktreeMade) {
          files.remove(reservation);
        }
      } catch (RuntimeException e) {
        failure.addSuppressed(e);
      }
      try {
        if (git.branchExists(repo, reservation.branch())) {
          git.deleteBranch(repo, reservation.branch(), true);
        }
      } catch (RuntimeException e) {
        failure.addSuppressed(e);
      }
      // Without a complete clean-up the entry stays CREATING, for the next command to finish.
      if (failure.getSuppressed().length == 0) {
        try {
          JailRecords.delete(layout, reservation.name());
          store.remove(reservation.name());
        } catch (RuntimeException e) {
          failure.addSuppressed(e);
        }
      }
    }
  }

  private static byte[] randomBytes(int n) {
    byte[] bytes = new byte[n];
    Random.INSTANCE.nextBytes(bytes);
    return bytes;
  }

  // The program is found now, on the PATH robojail runs with, and every argument's ~ is the
  // user's home: inside, ~ is the same path, and a literal "~/x" reaching an agent is never meant.
  private List<String> resolveEntrypoint(List<String> entrypoint, Optional<AgentProfile> agent) {
    String command = entrypoint.getFirst();
    if (command.isEmpty()) {
      throw new InvalidInputException("invalid entrypoint: the command is empty");
    }
    String path = System.getenv("PATH");
    Optional<Path> found =
        Executables.find(command, home, path == null ? Sandbox.DEFAULT_PATH : path);
    if (found.isEmpty()) {
      throw new JailException(
          "entrypoint not found: "
              + TerminalSafe.sanitizeLine(command)
              + agent
                  .map(
                      a ->
                          " (the "
                              + a.name()
                              + " profile runs it: install it on PATH, or give --entrypoint)")
                  .orElse(""));
    }
    List<String> resolved = new ArrayList<>();
    resolved.add(found.get().toString());
    for (String arg : entrypoint.subList(1, entrypoint.size())) {
      resolved.add(Executables.expandHome(Objects.requireNonNull(arg, "argument"), home));
    }
    return List.copyOf(resolved);
  }

  // Keeps the index's modification time, which git's racy-entry check compares with; made private
  // to the user. Without it, status builds its index from the base commit (and hashes every file).
  private void saveCheckoutIndex(Path gitDir, JailName name) throws IOException {
    Path target = layout.checkoutIndex(name);
    JailLayout.createPrivateDirectories(target.getParent());
    Path temp = target.resolveSibling(name.value() + ".tmp");
    Files.deleteIfExists(temp);
    Files.copy(
        gitDir.resolve("index"),
        temp,
        StandardCopyOption.COPY_ATTRIBUTES,
        LinkOption.NOFOLLOW_LINKS);
    Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
