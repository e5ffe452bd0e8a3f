package dev.robojail.sandbox;

import static dev.robojail.ffm.FakeKernel.errno;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.Await;
import dev.robojail.ffm.Errno;
import dev.robojail.ffm.FakeKernel;
import dev.robojail.ffm.SigInfo;
import dev.robojail.ffm.SyscallException;
import dev.robojail.ffm.Syscalls;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Signalling and ending a sandbox, against a recording fake kernel. */
class SandboxProcessTest {
  private static final int PID = 4242;
  private static final int PIDFD = 7;

  private final FakeKernel kernel = new FakeKernel();

  private SandboxProcess process() {
    return new SandboxProcess(
        kernel,
        PID,
        PIDFD,
        null,
        null,
        null,
        -1,
        OutputStream.nullOutputStream(),
        InputStream.nullInputStream(),
        InputStream.nullInputStream());
  }

  /** A waitid that returns {@code info} once {@code exit} is counted down. */
  private static Supplier<Object> exitsWhen(CountDownLatch exit, SigInfo info) {
    return () -> {
      try {
        exit.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return info;
    };
  }

  /** {@link #exitsWhen}, noting first who waits (the thread the fake's waitid runs on). */
  private static Supplier<Object> noting(Runnable note, CountDownLatch exit, SigInfo info) {
    Supplier<Object> waits = exitsWhen(exit, info);
    return () -> {
      note.run();
      return waits.get();
    };
  }

  @Test
  void onceReapedSignalAndDestroyTouchNothing() throws Exception {
    kernel.on("waitid", new SigInfo(PID, SigInfo.CLD_EXITED, 3));
    SandboxProcess p = process();
    assertEquals(3, p.waitFor());
    p.destroy();
    p.signal(Syscalls.SIGTERM);
    p.destroyForcibly();
    // the pidfd was closed at reaping: signalling it now could reach whatever reuses the number
    assertEquals(List.of(), kernel.calls("pidfd_send_signal"));
    assertEquals(List.of("close(7)"), kernel.calls("close"));
    assertFalse(p.isAlive());
  }

  @Test
  void esrchMeansExitedNotYetReapedAndIsQuiet() throws Exception {
    CountDownLatch exit = new CountDownLatch(1);
    kernel.on("waitid", exitsWhen(exit, new SigInfo(PID, SigInfo.CLD_KILLED, 9)));
    kernel.on(
        "pidfd_send_signal",
        errno("pidfd_send_signal", Errno.ESRCH),
        errno("pidfd_send_signal", Errno.ESRCH));
    SandboxProcess p = process();
    p.destroy();
    p.signal(Syscalls.SIGTERM);
    assertEquals(
        List.of("pidfd_send_signal(7, 9)", "pidfd_send_signal(7, 15)"),
        kernel.calls("pidfd_send_signal"));
    assertTrue(p.isAlive());
    exit.countDown();
    assertTrue(p.waitFor(10, TimeUnit.SECONDS));
    assertEquals(137, p.exitValue());
  }

  @Test
  void anyOtherErrnoIsThrown() throws Exception {
    CountDownLatch exit = new CountDownLatch(1);
    kernel.on("waitid", exitsWhen(exit, new SigInfo(PID, SigInfo.CLD_EXITED, 0)));
    kernel.on(
        "pidfd_send_signal",
        errno("pidfd_send_signal", Errno.EPERM),
        errno("pidfd_send_signal", Errno.EBADF));
    SandboxProcess p = process();
    try {
      assertEquals(
          Errno.EPERM,
          assertThrows(SyscallException.class, () -> p.signal(Syscalls.SIGINT)).errno());
      assertEquals(Errno.EBADF, assertThrows(SyscallException.class, p::destroy).errno());
    } finally {
      exit.countDown();
    }
    assertEquals(0, p.waitFor());
  }

  @Test
  void aFailedWaitIsReportedToTheWaiter() {
    kernel.on("waitid", errno("waitid", Errno.ECHILD));
    SandboxProcess p = process();
    IllegalStateException e = assertThrows(IllegalStateException.class, p::waitFor);
    assertEquals(Errno.ECHILD, ((SyscallException) e.getCause()).errno());
  }

  @Test
  void aReaperIsNamedForItsSandboxWhileItWaitsAndTheNextSandboxReusesIt() throws Exception {
    List<Thread> waiters = new CopyOnWriteArrayList<>();
    CountDownLatch exit = new CountDownLatch(1);
    kernel.on(
        "waitid",
        noting(
            () -> waiters.add(Thread.currentThread()),
            exit,
            new SigInfo(PID, SigInfo.CLD_EXITED, 0)));
    SandboxProcess first = process();
    Await.until("the reaper's wait", () -> !waiters.isEmpty());
    Thread reaper = waiters.get(0);
    assertEquals("robojail-reaper-" + PID, reaper.getName());
    assertTrue(reaper.isDaemon(), "a sandbox left running does not hold the JVM");
    exit.countDown();
    assertEquals(0, first.waitFor());
    for (int i = 0; i < 20; i++) {
      // idle again: its name given back and parked in the pool's timed wait for more work
      Await.until("its name given back", () -> reaper.getName().equals("robojail-reaper"));
      Await.until("it idles", () -> reaper.getState() == Thread.State.TIMED_WAITING);
      kernel.on(
          "waitid",
          (Supplier<Object>)
              () -> {
                waiters.add(Thread.currentThread());
                return new SigInfo(PID, SigInfo.CLD_EXITED, 0);
              });
      assertEquals(0, process().waitFor());
    }
    assertEquals(21, waiters.size());
    // One in a quiet JVM (the pool hands work to the thread idle last); a reaper of another
    // test's sandbox ending meanwhile may take one round.
    assertTrue(waiters.stream().distinct().count() <= 2, "a thread per sandbox: " + waiters);
    assertTrue(waiters.stream().filter(t -> t == reaper).count() >= 20, "reused: " + waiters);
  }

  @Test
  void sandboxesRunningAtOnceEachHaveAReaperOfTheirOwn() throws Exception {
    CountDownLatch exit = new CountDownLatch(1);
    List<Thread> waiters = new CopyOnWriteArrayList<>();
    Supplier<Object> blocks =
        noting(
            () -> waiters.add(Thread.currentThread()),
            exit,
            new SigInfo(PID, SigInfo.CLD_EXITED, 7));
    for (int i = 0; i < 5; i++) {
      kernel.on("waitid", blocks);
    }
    List<SandboxProcess> running = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) {
      running.add(process());
    }
    Await.until("five waits", () -> waiters.size() == 5);
    assertEquals(5, waiters.stream().distinct().count(), "none waits behind another");
    exit.countDown();
    for (SandboxProcess p : running) {
      assertEquals(7, p.waitFor());
    }
  }

  private static final InheritableThreadLocal<String> TENANT = new InheritableThreadLocal<>();

  @Test
  void aReaperTakesNothingOfTheCallerThatMadeItAndRunsNoCallersCode() throws Exception {
    CountDownLatch exit = new CountDownLatch(1);
    List<String> seen = new CopyOnWriteArrayList<>();
    Supplier<Object> blocks =
        noting(
            () ->
                seen.add(
                    TENANT.get()
                        + " "
                        + (Thread.currentThread().getContextClassLoader()
                            == SandboxProcess.class.getClassLoader())),
            exit,
            new SigInfo(PID, SigInfo.CLD_EXITED, 0));
    // More sandboxes at once than the pool has threads (idle ones of earlier tests among them):
    // at least four reapers are made now, by the tenant's thread.
    int n =
        4
            + (int)
                Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().startsWith("robojail-reaper"))
                    .count();
    for (int i = 0; i < n; i++) {
      kernel.on("waitid", blocks);
    }
    ClassLoader tenantsLoader = new java.net.URLClassLoader(new java.net.URL[0]);
    List<SandboxProcess> running = new CopyOnWriteArrayList<>();
    Thread tenant =
        new Thread(
            () -> {
              TENANT.set("tenant-a");
              Thread.currentThread().setContextClassLoader(tenantsLoader);
              for (int i = 0; i < n; i++) {
                running.add(process());
              }
            });
    tenant.start();
    tenant.join();
    Await.until("every wait", () -> seen.size() == n);
    assertEquals(java.util.Collections.nCopies(n, "null true"), seen);
    List<String> ranOn = new CopyOnWriteArrayList<>();
    CountDownLatch told = new CountDownLatch(n);
    for (SandboxProcess p : running) {
      p.onExit()
          .thenRun(
              () -> {
                ranOn.add(Thread.currentThread().getName());
                told.countDown();
              });
    }
    exit.countDown();
    assertTrue(told.await(30, TimeUnit.SECONDS));
    assertTrue(
        ranOn.stream().noneMatch(name -> name.startsWith("robojail-reaper")),
        "a caller's code ran on a reaper: " + ranOn);
  }

  @Test
  void anErrorWhileReapingIsToldToTheWaiterWhoWouldOtherwiseWaitForEver() throws Exception {
    kernel.on(
        "waitid",
        (Supplier<Object>)
            () -> {
              throw new StackOverflowError("made up");
            });
    SandboxProcess p = process();
    IllegalStateException e = assertThrows(IllegalStateException.class, p::waitFor);
    assertEquals("made up", e.getCause().getMessage());
  }
}
