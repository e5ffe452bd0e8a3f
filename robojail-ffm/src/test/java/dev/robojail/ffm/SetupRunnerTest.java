package dev.robojail.ffm;

import static dev.robojail.ffm.SetupProgram.Arg.of;
import static dev.robojail.ffm.SetupProgram.Arg.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.SetupProgram.Arg;
import dev.robojail.ffm.SetupProgram.Slot;
import dev.robojail.ffm.SetupProgram.Step;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The machine-code runner, in real user, mount, PID and UTS namespaces. */
@NeedsUserNamespaces
class SetupRunnerTest {
  /** A shell-quoted tab, for {@code tr -d}. */
  private static final String TAB = "'\\t'";

  private static final long NAMESPACES =
      Syscalls.CLONE_NEWUSER
          | Syscalls.CLONE_NEWNS
          | Syscalls.CLONE_NEWPID
          | Syscalls.CLONE_NEWUTS
          | Syscalls.CLONE_NEWIPC;

  static Step exec(String path, String... args) {
    List<String> argv = new ArrayList<>();
    argv.add(path);
    argv.addAll(List.of(args));
    return Step.of(
        "execve",
        Sysno.EXECVE,
        str(path),
        Arg.strings(argv),
        Arg.strings(List.of("PATH=/usr/bin:/bin")));
  }

  private static SetupRunner.Child start(List<Step> steps, int[] stdout) {
    return start(steps, stdout, null);
  }

  private static SetupRunner.Child start(
      List<Step> steps, int[] stdout, SetupRunner.ParentHook beforeExec) {
    return start(steps, stdout, beforeExec, NAMESPACES, null);
  }

  private static SetupRunner.Child start(
      List<Step> steps,
      int[] stdout,
      SetupRunner.ParentHook beforeExec,
      long cloneFlags,
      SetupRunner.Birthplace born) {
    List<Step> all = new ArrayList<>();
    if (stdout != null) {
      all.add(Step.of("dup3", Sysno.DUP3, of(stdout[1]), of(1), of(0)));
    }
    all.addAll(steps);
    return SetupRunner.start(
        SetupProgram.of(all), cloneFlags, UserNamespaces.rootInsideAsMe(), beforeExec, born);
  }

  /** Runs the program with stdout on a pipe; returns {exit status, output}. */
  private static Object[] run(List<Step> steps) throws IOException {
    return run(steps, null);
  }

  private static Object[] run(List<Step> steps, SetupRunner.ParentHook beforeExec)
      throws IOException {
    return run(steps, beforeExec, NAMESPACES, null);
  }

  /** {@link #run(List)} with these clone flags, born where {@code born} says (null: here). */
  static Object[] run(
      List<Step> steps,
      SetupRunner.ParentHook beforeExec,
      long cloneFlags,
      SetupRunner.Birthplace born)
      throws IOException {
    int[] out = Syscalls.pipe2(Syscalls.O_CLOEXEC);
    SetupRunner.Child c;
    try {
      c = start(steps, out, beforeExec, cloneFlags, born);
    } finally {
      Syscalls.close(out[1]);
    }
    String text;
    try (FdInputStream in = new FdInputStream(out[0])) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    SigInfo s = Syscalls.waitid(Syscalls.P_PIDFD, c.pidfd(), Syscalls.WEXITED);
    Syscalls.close(c.pidfd());
    return new Object[] {s.exitStatus(), text};
  }

  @Test
  void childRunsItsStepsInItsOwnNamespacesThenExecs() throws IOException {
    Object[] r =
        run(
            List.of(
                Step.of("sethostname", Sysno.SETHOSTNAME, str("inside"), of(6)),
                Step.of(
                    "prctl",
                    Sysno.PRCTL,
                    of(Syscalls.PR_SET_NO_NEW_PRIVS),
                    of(1),
                    of(0),
                    of(0),
                    of(0)),
                exec(
                    "/bin/sh",
                    "-c",
                    "echo $$ $(id -u) $(hostname); grep NoNewPrivs /proc/self/status | tr -d "
                        + TAB)));
    assertEquals(0, r[0]);
    assertEquals("1 0 inside\nNoNewPrivs:1\n", r[1]);
  }

  @Test
  void aFailingStepIsReportedWithItsIndexCallAndErrno() {
    SetupStepException e =
        assertThrows(
            SetupStepException.class,
            () ->
                start(
                    List.of(
                        Step.of(
                            "mkdirat",
                            Sysno.MKDIRAT,
                            of(Syscalls.AT_FDCWD, "AT_FDCWD"),
                            str("/"),
                            of(0755)),
                        exec("/bin/true")),
                    null));
    assertEquals(0, e.step());
    assertEquals(Errno.EEXIST, e.errno());
    assertEquals(
        "setup step 0 failed: mkdirat(AT_FDCWD, \"/\", 493): EEXIST (File exists)", e.getMessage());
  }

  @Test
  void aToleratedErrnoDoesNotStopTheProgram() throws IOException {
    Object[] r =
        run(
            List.of(
                Step.of("mkdirat", Sysno.MKDIRAT, of(Syscalls.AT_FDCWD), str("/"), of(0755))
                    .tolerating(Errno.EEXIST),
                exec("/bin/echo", "went on")));
    assertEquals(0, r[0]);
    assertEquals("went on\n", r[1]);
  }

  @Test
  void aResultFeedsALaterStep(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("written-by-child");
    Files.setPosixFilePermissions(
        dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
    Slot fd = new Slot("fd");
    Object[] r =
        run(
            List.of(
                Step.of(
                        "openat",
                        Sysno.OPENAT,
                        of(Syscalls.AT_FDCWD),
                        str(file.toString()),
                        of(Syscalls.O_WRONLY | Syscalls.O_CREAT | Syscalls.O_CLOEXEC),
                        of(0644))
                    .into(fd),
                Step.of(
                        "write",
                        Sysno.WRITE,
                        Arg.result(fd),
                        Arg.bytes("slot".getBytes(StandardCharsets.UTF_8), "\"slot\""),
                        of(4))
                    .expecting(4),
                Step.of("close", Sysno.CLOSE, Arg.result(fd)),
                exec("/bin/true")));
    assertEquals(0, r[0]);
    assertEquals("slot", Files.readString(file));
  }

  @Test
  void anUnexpectedResultFailsTheStep() {
    SetupStepException e =
        assertThrows(
            SetupStepException.class,
            () ->
                start(
                    List.of(Step.of("getpid", Sysno.GETPID).expecting(2), exec("/bin/true")),
                    null));
    assertEquals(0, e.errno());
    assertEquals("setup step 0 failed: getpid() returned 1, expected 2", e.getMessage());
  }

  @Test
  void aProgramWithoutExecIsAnError() {
    SetupStepException e =
        assertThrows(
            SetupStepException.class, () -> start(List.of(Step.of("getpid", Sysno.GETPID)), null));
    assertEquals(1, e.step());
  }

  @Test
  void theSignalMaskIsClearedAndDescriptorsAreNotInherited() throws IOException {
    // The JVM blocks some signals on its threads and opens files without O_CLOEXEC; neither may
    // reach the jailed command.
    int leaked = Syscalls.openat(Syscalls.AT_FDCWD, "/dev/null", Syscalls.O_RDONLY, 0);
    long old = Syscalls.rtSigprocmask(Syscalls.SIG_BLOCK, 1L << (Syscalls.SIGUSR1 - 1));
    try {
      Object[] r =
          run(
              List.of(
                  exec(
                      "/bin/sh",
                      "-c",
                      "grep SigBlk /proc/self/status | tr -d "
                          + TAB
                          + "; ls /proc/self/fd | sort -n | tr '\\n' ' '")));
      assertEquals("SigBlk:0000000000000000\n0 1 2 3 ", r[1]); // 3: ls's own directory fd
    } finally {
      Syscalls.rtSigprocmask(Syscalls.SIG_SETMASK, old);
      Syscalls.close(leaked);
    }
  }

  @Test
  void failedSetupLeavesNoChildAndNoDescriptors() throws IOException {
    long before = openFds();
    for (int i = 0; i < 50; i++) {
      assertThrows(SetupStepException.class, () -> start(List.of(exec("/no/such/program")), null));
    }
    assertEquals(before, openFds());
    // Peek (WNOWAIT) for any exited, unreaped child of this JVM: there must be none.
    SigInfo zombie;
    try {
      zombie =
          Syscalls.waitid(0 /* P_ALL */, 0, Syscalls.WEXITED | Syscalls.WNOHANG | Syscalls.WNOWAIT);
    } catch (SyscallException e) {
      assertEquals(Errno.ECHILD, e.errno());
      zombie = null;
    }
    assertEquals(null, zombie);
  }

  /** A failure no {@code catch (Exception)} sees. */
  private static final class HookError extends Error {
    private static final long serialVersionUID = 1L;

    HookError() {
      super("the id-map hook failed");
    }
  }

  @Test
  void aFailureAfterCloneKillsAndReapsTheChildBeforeItsMemoryIsFreed() throws Exception {
    long before = openFds();
    int uid = Syscalls.getuid();
    for (int i = 0; i < 20; i++) {
      boolean error = i % 2 == 0;
      Throwable t =
          assertThrows(
              Throwable.class,
              () ->
                  SetupRunner.start(
                      SetupProgram.of(List.of(exec("/bin/true"))),
                      NAMESPACES,
                      pid -> {
                        // the child is waiting on its sync pipe, running on the runner's arena
                        assertTrue(Files.exists(Path.of("/proc/" + pid)));
                        if (error) {
                          throw new HookError();
                        }
                        throw new IOException("cannot write uid_map for " + uid);
                      }));
      assertTrue(
          error ? t instanceof HookError : t.getCause() instanceof IOException, t.toString());
      assertEquals(0, t.getSuppressed().length, "the kill and the reap succeeded");
    }
    // Had a child outlived its arena it would fail its read of the sync pipe and write its
    // failure into freed memory; killed and reaped, it leaves no zombie and no descriptor.
    // Deliberately a fixed pause, not a wait: it gives such a child time to fail and end, for a
    // check that nothing of the kind happened.
    Thread.sleep(100);
    assertEquals(null, unreapedChild());
    assertEquals(before, openFds());
  }

  private static String comm(int pid) {
    try {
      return Files.readString(Path.of("/proc/" + pid + "/comm")).strip();
    } catch (IOException e) {
      return "";
    }
  }

  @Test
  void theExecHookRunsWhileTheChildSetsUpAndTheChildExecsOnlyAfterIt() throws IOException {
    Object[] r =
        run(
            List.of(
                Step.of("prctl", Sysno.PRCTL, of(15, "PR_SET_NAME"), str("settingup")),
                exec("/bin/sh", "-c", "echo ran")),
            pid -> {
              // released already: the child runs its steps meanwhile
              Await.until("the child names itself", () -> comm(pid).equals("settingup"));
              // Deliberately a fixed pause, not a wait: time for a child that did not wait for
              // this hook to exec, for a check that it did not.
              Thread.sleep(100);
              assertEquals("settingup", comm(pid), "the child waits for the hook to return");
            });
    assertEquals(0, r[0]);
    assertEquals("ran\n", r[1]);
  }

  @Test
  void thePathLookupsFirstCandidateAlsoWaitsForTheExecHook() throws IOException {
    // A command looked up on PATH is one execve per candidate, each but the last tolerating
    // ENOENT: the one that runs may be any of them, so the gate must come before the first.
    Object[] r =
        run(
            List.of(
                Step.of("prctl", Sysno.PRCTL, of(15, "PR_SET_NAME"), str("settingup")),
                exec("/bin/sh", "-c", "echo ran")
                    .tolerating(Errno.ENOENT, Errno.EACCES, Errno.ENOTDIR),
                exec("/no/such/program")),
            pid -> {
              Await.until("the child names itself", () -> comm(pid).equals("settingup"));
              // A fixed pause, as above: time for a child that did not wait to exec.
              Thread.sleep(100);
              assertEquals("settingup", comm(pid), "the first candidate waits for the hook");
            });
    assertEquals(0, r[0]);
    assertEquals("ran\n", r[1]);
  }

  @Test
  void aFailingExecHookEndsTheChildBeforeItExecs(@TempDir Path dir) throws Exception {
    long before = openFds();
    Path ran = dir.resolve("ran");
    for (int i = 0; i < 10; i++) {
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () ->
                  SetupRunner.start(
                      SetupProgram.of(List.of(exec("/bin/sh", "-c", "echo > " + ran))),
                      NAMESPACES,
                      UserNamespaces.rootInsideAsMe(),
                      pid -> {
                        throw new IOException("cannot move " + pid + " into its cgroup");
                      }));
      assertTrue(e.getCause() instanceof IOException, e.toString());
    }
    assertFalse(Files.exists(ran), "the command never ran");
    assertEquals(null, unreapedChild());
    assertEquals(before, openFds());
  }

  @Test
  void withAnExecHookFailedStepsKeepTheirIndexInTheCallersProgram() {
    SetupProgram.Step last = exec("/no/such/program");
    SetupStepException e =
        assertThrows(
            SetupStepException.class,
            () ->
                SetupRunner.start(
                    SetupProgram.of(List.of(Step.of("getpid", Sysno.GETPID), last)),
                    NAMESPACES,
                    UserNamespaces.rootInsideAsMe(),
                    pid -> {}));
    assertEquals(1, e.step());
    assertEquals(Errno.ENOENT, e.errno());
    assertEquals(last.toString(), e.call());
    SetupStepException first =
        assertThrows(
            SetupStepException.class,
            () ->
                SetupRunner.start(
                    SetupProgram.of(
                        List.of(Step.of("getpid", Sysno.GETPID).expecting(2), exec("/bin/true"))),
                    NAMESPACES,
                    UserNamespaces.rootInsideAsMe(),
                    pid -> {
                      throw new IOException("refused");
                    }));
    assertEquals(0, first.step(), "a step before the wait fails first, and is what is reported");
  }

  private static SigInfo unreapedChild() {
    try {
      return Syscalls.waitid(
          0 /* P_ALL */, 0, Syscalls.WEXITED | Syscalls.WNOHANG | Syscalls.WNOWAIT);
    } catch (SyscallException e) {
      assertEquals(Errno.ECHILD, e.errno());
      return null;
    }
  }

  @Test
  void spawnsSurviveAGarbageChurningJvm() throws Exception {
    // Java running in a cloned child hangs on safepoints under GC. The runner has no
    // Java in the child, so this must never hang (the timeout guards the build, not speed).
    AtomicBoolean stop = new AtomicBoolean();
    Thread churn =
        Thread.ofPlatform()
            .start(
                () -> {
                  List<byte[]> keep = new ArrayList<>();
                  while (!stop.get()) {
                    keep.add(new byte[4096]);
                    if (keep.size() > 20_000) {
                      keep.clear();
                      System.gc();
                    }
                  }
                });
    try {
      org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
          Duration.ofMinutes(3),
          () -> {
            for (int i = 0; i < 300; i++) {
              SetupRunner.Child c = start(List.of(exec("/bin/true")), null);
              assertEquals(
                  0, Syscalls.waitid(Syscalls.P_PIDFD, c.pidfd(), Syscalls.WEXITED).exitStatus());
              Syscalls.close(c.pidfd());
            }
          });
    } finally {
      stop.set(true);
      churn.join();
    }
  }

  private static long openFds() throws IOException {
    try (var s = Files.list(Path.of("/proc/self/fd"))) {
      return s.count();
    }
  }
}
