package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.Kernel;
import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.ffm.Programs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A second session joining a running sandbox ({@link Sandbox#join}), for real: it is in the first
 * session's namespaces, it can do nothing the first session cannot, and it ends with the sandbox.
 */
@NeedsUserNamespaces
class SandboxJoinTest {
  private final Kernel kernel = Kernel.linux();
  private SandboxProcess first;
  private int pidfd = -1;

  @TempDir Path dir;

  @AfterEach
  void end() throws InterruptedException {
    if (first != null) {
      first.destroy();
      first.waitFor(30, TimeUnit.SECONDS);
    }
    if (pidfd >= 0) {
      kernel.close(pidfd);
    }
  }

  private Sandbox.Builder spec() {
    return Jailed.base()
        .hostname("joined")
        .bind(dir, "/work")
        .workingDirectory("/work")
        .env("MARK", "from-the-spec");
  }

  /** Starts the first session, which waits; returns the spec both sessions share. */
  private Sandbox.Builder startFirst() throws Exception {
    Sandbox.Builder b = spec();
    first =
        b.command("/bin/sh", "-c", "echo $$ > /tmp/first; exec sleep 600")
            .stdout(Stdio.discard())
            .start();
    pidfd = kernel.pidfdOpen((int) first.pid(), 0);
    // A session that joins before the first's init has forked its command takes PID 2 itself (its
    // command is forked into the same PID namespace): then the first's is PID 3, and a joined
    // script waiting for PID 2 to be sleep waited for ever (seen as nobody under load).
    dev.robojail.ffm.Await.until(
        "the first session's command running as sleep",
        () ->
            ProcessHandle.of(first.pid()).stream()
                .flatMap(ProcessHandle::children)
                .anyMatch(
                    c -> {
                      try {
                        return Files.readString(Path.of("/proc", c.pid() + "", "comm"))
                            .strip()
                            .equals("sleep");
                      } catch (java.io.IOException gone) {
                        return false;
                      }
                    }));
    return b;
  }

  private String joined(Sandbox.Builder b, String script) throws Exception {
    return Jailed.joined(b, (int) first.pid(), pidfd, "/bin/sh", "-c", script);
  }

  @Test
  void aJoinedSessionSeesTheSandboxsProcessesMountsHostnameAndEnvironment() throws Exception {
    Sandbox.Builder b = startFirst();
    String out =
        joined(
            b,
            "until read c < /proc/2/comm && [ \"$c\" = sleep ]; do :; done; echo first=$(cat /tmp/first);"
                + " echo init=$(tr '\\0' '\\n' < /proc/1/cmdline | head -n 1); echo host=$(hostname); echo pwd=$(pwd);"
                + " echo mark=$MARK; echo self-in-ns=$(test -d /proc/$$ && echo yes);"
                + " echo second=$(cat /proc/2/comm); echo made > /work/from-exec");
    assertTrue(out.startsWith("0 "), out);
    assertTrue(out.contains("init=robojail-init"), out);
    assertTrue(out.contains("first=2"), "the first session's command is PID 2 inside: " + out);
    assertTrue(out.contains("second=sleep"), out);
    assertTrue(out.contains("host=joined"), out);
    assertTrue(out.contains("pwd=/work"), out);
    assertTrue(out.contains("mark=from-the-spec"), out);
    assertTrue(out.contains("self-in-ns=yes"), "the command is in the sandbox's PID namespace");
    assertEquals("made\n", Files.readString(dir.resolve("from-exec")));
  }

  /**
   * The attack: a joined session tries everything the escape suite tries ({@code attacks.py}: raw
   * system calls for ptrace, TIOCSTI, new namespaces, mounts, BPF, io_uring, other processes'
   * memory…), and what it gets is exactly what the first session gets — every call refused alike.
   * Its capabilities, no_new_privs and seccomp mode read as the first session's.
   */
  @Test
  void aJoinedSessionCanDoNothingTheFirstCannot() throws Exception {
    Programs.require("/usr/bin/python3", "python3");
    Sandbox.Builder b = startFirst();
    String status =
        "grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status";
    String mine = joined(b, status);
    Sandbox.Builder fresh = spec();
    String firsts = Jailed.run(fresh, status);
    assertEquals(firsts, mine);
    assertTrue(mine.contains("CapEff:\t0000000000000000"), mine);
    assertTrue(mine.contains("CapBnd:\t0000000000000000"), mine);
    assertTrue(mine.contains("NoNewPrivs:\t1"), mine);
    assertTrue(mine.contains("Seccomp:\t2"), mine);

    Map<String, Integer> joinedErrnos = attacks(b, true);
    Map<String, Integer> firstErrnos = attacks(spec(), false);
    assertEquals(firstErrnos, joinedErrnos);
    for (String refused : new String[] {"ptrace_traceme", "unshare_user", "mount", "bpf"}) {
      assertNotEquals(0, joinedErrnos.get(refused), refused + " got through: " + joinedErrnos);
    }
  }

  @Test
  void theSupervisorAndTheHostsProcessesAreOutOfReach() throws Exception {
    Sandbox.Builder b = startFirst();
    long jvm = ProcessHandle.current().pid();
    // Landlock (written outside the writable mounts), the host's /proc (only the sandbox's
    // processes are listed), a signal to the JVM by its host pid (no such process inside).
    String out =
        joined(
            b,
            "echo x > /etc/planted 2>/dev/null && echo wrote-etc;"
                + " ls /proc | grep -qx "
                + jvm
                + " && echo sees-jvm;"
                + " kill -0 "
                + jvm
                + " 2>/dev/null && echo signals-jvm;"
                + " echo ppid=$PPID; echo done");
    assertTrue(out.contains("done"), out);
    assertTrue(!out.contains("wrote-etc") && !out.contains("sees-jvm"), out);
    // pid numbers inside are few; the JVM's may exist inside only as a sandbox process
    assertTrue(!out.contains("signals-jvm") || jvm < 10, out);
    assertTrue(out.contains("ppid=0"), "the session's parent is outside the sandbox: " + out);
  }

  @Test
  void aJoinedSessionEndsWhenTheSandboxEnds() throws Exception {
    Sandbox.Builder b = startFirst();
    SandboxProcess p =
        b.command("/bin/sh", "-c", "touch /work/joined; exec sleep 600")
            .stdout(Stdio.discard())
            .build()
            .join((int) first.pid(), pidfd);
    // killed once running inside, not while its init is still about to fork it
    dev.robojail.ffm.Await.until("the joined command", () -> Files.exists(dir.resolve("joined")));
    first.destroy();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the joined session outlived its sandbox");
    assertEquals(128 + 9, p.exitValue());
  }

  @Test
  void aPidfdOfAnEndedSandboxJoinsNothing() throws Exception {
    Sandbox.Builder b = startFirst();
    first.destroy();
    first.waitFor();
    SandboxException e =
        assertThrows(
            SandboxException.class,
            () -> b.command("/bin/true").build().join((int) first.pid(), pidfd));
    assertTrue(e.getMessage().contains("the sandbox has ended"), e.getMessage());
  }

  private Map<String, Integer> attacks(Sandbox.Builder b, boolean join) throws Exception {
    return Jailed.pythonErrnos(
        b, "attacks.py", s -> join ? s.join((int) first.pid(), pidfd) : s.start());
  }
}
