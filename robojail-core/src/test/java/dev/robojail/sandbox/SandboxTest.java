package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.robojail.ffm.Await;
import dev.robojail.ffm.Errno;
import dev.robojail.ffm.InitBinary;
import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.ffm.Programs;
import dev.robojail.ffm.Syscalls;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sandboxes started for real, in user, mount, PID, IPC, UTS and network namespaces. */
@NeedsUserNamespaces
class SandboxTest {
  private static Sandbox.Builder base() {
    return Sandbox.builder().minimalSystem().env("PATH", "/usr/bin:/bin");
  }

  /** Runs a shell script in the sandbox; returns its output (stdout and stderr). */
  private static String sh(Sandbox.Builder b, String script) throws Exception {
    SandboxProcess p =
        b.command("/bin/sh", "-c", script).stdout(Stdio.pipe()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    return out;
  }

  @Test
  void outputIsCapturedAndExitCodesPassThrough() throws Exception {
    SandboxProcess p =
        base()
            .command("/bin/sh", "-c", "echo out; echo err >&2; exit 3")
            .stdout(Stdio.pipe())
            .stderr(Stdio.pipe())
            .start();
    assertEquals("out\n", new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    assertEquals("err\n", new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    assertEquals(3, p.waitFor());
    assertEquals(3, p.exitValue());
    assertFalse(p.isAlive());
  }

  @Test
  void stdinIsFedThroughAPipe() throws Exception {
    SandboxProcess p =
        base().command("tr", "a-z", "A-Z").stdin(Stdio.pipe()).stdout(Stdio.pipe()).start();
    try (OutputStream in = p.getOutputStream()) {
      in.write("jailed\n".getBytes(StandardCharsets.UTF_8));
    }
    assertEquals("JAILED\n", new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    assertEquals(0, p.waitFor());
  }

  @Test
  void filesAndDiscardWork(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out.txt");
    SandboxProcess p =
        base()
            .command("/bin/sh", "-c", "cat; echo to-file")
            .stdin(Stdio.discard())
            .stdout(Stdio.file(out))
            .start();
    assertEquals(0, p.waitFor());
    assertEquals("to-file\n", Files.readString(out));
  }

  @Test
  void aSignalEndsTheCommandWith128PlusItsNumber() throws Exception {
    // PID 1 ignores signals it has no handler for; a child of it does not.
    assertEquals(
        143,
        base()
            .command("/bin/sh", "-c", "sh -c 'kill -TERM $$'; exit $?")
            .stderr(Stdio.discard())
            .start()
            .waitFor());
    SandboxProcess p = base().command("sleep", "100").start();
    p.destroy();
    assertEquals(137, p.waitFor());
  }

  @Test
  void readOnlyBindsRefuseWritesAndTheRootIsReadOnly() throws Exception {
    String out =
        sh(base(), "touch /usr/robojail-test; touch /robojail-test; touch /etc/x;" + " echo done");
    assertEquals(3, out.split("Read-only file system", -1).length - 1, out);
    assertTrue(out.endsWith("done\n"));
    assertFalse(Files.exists(Path.of("/usr/robojail-test")));
  }

  @Test
  void readWriteBindsWriteThroughToTheHost(@TempDir Path dir) throws Exception {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    sh(base().bind(dir, "/work").workingDirectory("/work"), "echo made-inside > f; pwd > where");
    assertEquals("made-inside\n", Files.readString(dir.resolve("f")));
    assertEquals("/work\n", Files.readString(dir.resolve("where")));
  }

  @Test
  void tmpIsPrivate(@TempDir Path dir) throws Exception {
    // @TempDir lives in the host's /tmp (java.io.tmpdir): the sandbox must not see it.
    Path marker = Files.writeString(dir.resolve("host-secret"), "x");
    String out =
        sh(
            base(),
            "ls -A /tmp | wc -l; test -e "
                + marker
                + " && echo VISIBLE;"
                + " echo private > /tmp/mine; cat /tmp/mine");
    assertEquals("0\nprivate\n", out);
  }

  @Test
  void thePidNamespaceShowsOnlyTheSandboxsProcesses() throws Exception {
    String out = sh(base(), "echo $$; ls /proc | grep -E '^[0-9]+$' | sort -n | tr '\\n' ' '");
    String[] lines = out.split("\n");
    boolean init = InitBinary.fd() >= 0;
    assertEquals(init ? "2" : "1", lines[0]);
    // PID 1 (robojail-init), PID 2 (sh), the pipeline's processes; never the host's hundreds
    assertTrue(lines[1].trim().split(" ").length <= 6, out);
    assertTrue(lines[1].startsWith("1 "), out);
  }

  @Test
  void idsInsideAreAsAsked() throws Exception {
    int uid = Syscalls.getuid();
    int gid = Syscalls.getgid();
    assertEquals(uid + " " + gid + "\n", sh(base(), "echo $(id -u) $(id -g)"));
    assertEquals("0 0\n", sh(base().rootInside(), "echo $(id -u) $(id -g)"));
    assertEquals("1234 4321\n", sh(base().uid(1234).gid(4321), "echo $(id -u) $(id -g)"));
  }

  @Test
  void hostnameNoNewPrivsAndAnEmptyEnvironment() throws Exception {
    String out =
        sh(
            Sandbox.builder().minimalSystem().hostname("jail-7"),
            "hostname; grep NoNewPrivs /proc/self/status | tr -d '\\t'; env | sort | tr '\\n' ' '");
    // sh itself adds PWD (and may add SHLVL, _); nothing of the JVM's environment comes in
    String[] lines = out.split("\n");
    assertEquals("jail-7", lines[0]);
    assertEquals("NoNewPrivs:1", lines[1]);
    for (String var : lines[2].trim().split(" ")) {
      assertTrue(
          var.startsWith("PWD=") || var.startsWith("SHLVL=") || var.startsWith("_="),
          "unexpected variable " + var);
    }
    assertEquals(
        "a=1 b=two\n",
        sh(base().env("a", "1").env("b", "two").share(Namespace.UTS), "echo a=$a b=$b"));
  }

  @Test
  void theNetworkIsLoopbackOnlyUnlessShared() throws Exception {
    String off = sh(base(), "cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '");
    assertEquals("lo\n", off);
    String on = sh(base().network(true), "cat /proc/net/dev | tail -n +3 | wc -l");
    assertEquals(
        Files.readAllLines(Path.of("/proc/net/dev")).size() - 2, Integer.parseInt(on.trim()));
  }

  @Test
  void aFailingMountNamesItsStepAndErrno() {
    // A directory cannot be mounted over a file: move_mount fails in the child (EINVAL on
    // current kernels; ENOTDIR from the older mount(2) path).
    Sandbox s = base().bind(Path.of("/usr/share"), "/dev/null").command("/bin/true").build();
    SandboxException.SetupFailed e = assertThrows(SandboxException.SetupFailed.class, s::start);
    assertTrue(e.errno() == Errno.EINVAL || e.errno() == Errno.ENOTDIR, e.getMessage());
    assertTrue(
        e.call().startsWith("move_mount(tree") && e.call().contains("\"/newroot/dev/null\""),
        e.call());
    assertEquals(s.plan().steps().get(e.step()).toString(), e.call());
    assertTrue(e.getMessage().contains(Errno.name(e.errno())), e.getMessage());
  }

  // One test for both (not a parameterized one): .ci/as-nobody counts a template as one test.
  @Test
  void aFileThatMayNotBeExecutedIsReportedAsCannotExecuteNotAsNotFound(@TempDir Path dir)
      throws IOException {
    Path tool = Files.writeString(dir.resolve("tool"), "#!/bin/sh\necho ran\n");
    Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rw-r--r--"));
    for (boolean init : new boolean[] {true, false}) {
      for (String cmd : List.of("/opt/bin/tool", "tool")) {
        Sandbox s =
            base()
                .init(init)
                .env("PATH", "/opt/bin:/usr/bin")
                .readOnlyBind(tool, "/opt/bin/tool")
                .command(cmd)
                .build();
        SandboxException.CannotExecute e =
            assertThrows(SandboxException.CannotExecute.class, s::start);
        assertEquals(Errno.EACCES, e.errno(), e.getMessage());
        assertTrue(
            e.getMessage()
                .startsWith("cannot execute " + cmd + " in the sandbox: permission denied"),
            e.getMessage());
      }
    }
  }

  @Test
  void aMissingCommandIsCommandNotFound() {
    for (boolean init : new boolean[] {true, false}) {
      for (String cmd : List.of("no-such-command-here", "/no/such/tool")) {
        SandboxException.CommandNotFound e =
            assertThrows(
                SandboxException.CommandNotFound.class,
                () -> base().init(init).command(cmd).start());
        assertTrue(
            e.getMessage().startsWith("command not found in the sandbox: " + cmd), e.getMessage());
      }
    }
  }

  @Test
  void aMissingCommandIsReportedAsSuch() {
    SandboxException.SetupFailed e =
        assertThrows(
            SandboxException.SetupFailed.class,
            () -> base().command("no-such-command-here").start());
    assertTrue(
        e.getMessage().startsWith("command not found in the sandbox: no-such-command-here"),
        e.getMessage());
  }

  @Test
  void destroyEndsEveryProcessOfTheSandbox() throws Exception {
    SandboxProcess p =
        base()
            .command("/bin/sh", "-c", "sleep 100 & sleep 100 & (sleep 100 &) ; echo started; wait")
            .stdout(Stdio.pipe())
            .start();
    byte[] line = new byte[8];
    assertEquals(8, p.getInputStream().readNBytes(line, 0, 8));
    String ns = Files.readSymbolicLink(Path.of("/proc/" + p.pid() + "/ns/pid")).toString();
    assertTrue(inNamespace(ns) >= 4, "sh and three sleeps");
    p.destroy();
    assertEquals(137, p.waitFor());
    // The kernel kills the namespace's processes when PID 1 dies; they may take a moment to
    // be reaped by it.
    Await.until("the namespace's processes to be gone", () -> inNamespace(ns) == 0);
  }

  private static long inNamespace(String ns) {
    try (var procs = Files.list(Path.of("/proc"))) {
      return procs
          .filter(d -> d.getFileName().toString().matches("\\d+"))
          .filter(
              d -> {
                try {
                  return Files.readSymbolicLink(d.resolve("ns/pid")).toString().equals(ns);
                } catch (IOException e) {
                  return false;
                }
              })
          .count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void theSandboxIsAProcess() throws Exception {
    Process p = base().command("/bin/sh", "-c", "exit 7").start();
    assertTrue(p.pid() > 0);
    assertEquals(7, p.onExit().get().exitValue());
    assertTrue(p.waitFor(1, TimeUnit.SECONDS));
    assertFalse(p.supportsNormalTermination());
    SandboxProcess q = base().command("sleep", "100").start();
    assertThrows(IllegalThreadStateException.class, q::exitValue);
    assertFalse(q.waitFor(10, TimeUnit.MILLISECONDS));
    q.destroyForcibly();
    assertEquals(137, q.waitFor());
    q.destroy(); // after exit: nothing happens
  }

  @Test
  void noDescriptorsOrChildrenLeakAcrossManyStarts() throws Exception {
    Sandbox s = base().command("/bin/true").stdout(Stdio.pipe()).build();
    for (int i = 0; i < 5; i++) {
      s.start().waitFor();
    }
    long before = fds();
    for (int i = 0; i < 100; i++) {
      SandboxProcess p = s.start();
      p.getInputStream().readAllBytes();
      p.getInputStream().close();
      p.getOutputStream().close();
      assertEquals(0, p.waitFor());
    }
    // the reaper closes the pidfd right after waitFor's value is published; allow it a moment
    Await.until(before + " open descriptors, as before", () -> fds() == before);
  }

  private static long fds() {
    try (var s = Files.list(Path.of("/proc/self/fd"))) {
      return s.count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static final String ZERO = "0000000000000000";

  @Test
  void noCapabilitiesAreLeftAndExecCannotRegainThem() throws Exception {
    // Also (and above all) when robojail runs as root on the host, so that uid 0 inside would
    // otherwise get every capability back at each exec.
    String script =
        "exec /bin/sh -c \"grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):'"
            + " /proc/self/status | tr -d '\\t'\"";
    String out = sh(base(), script);
    assertEquals(
        "CapInh:"
            + ZERO
            + "\nCapPrm:"
            + ZERO
            + "\nCapEff:"
            + ZERO
            + "\nCapBnd:"
            + ZERO
            + "\nCapAmb:"
            + ZERO
            + "\nNoNewPrivs:1\nSeccomp:2\n",
        out);
    assertEquals("0 0\n", sh(base().uid(0).gid(0), "echo $(id -u) $(id -g)"));
    assertTrue(sh(base().uid(0).gid(0), script).contains("CapEff:" + ZERO), "uid 0, no caps");
  }

  @Test
  void rootInsideKeepsItsCapabilitiesInItsOwnNamespaceOnly() throws Exception {
    String out = sh(base().rootInside(), "grep CapEff /proc/self/status | tr -d '\\t'");
    assertFalse(out.contains(ZERO), out);
    // still no way to change the mounts: the filter refuses mount even to root inside
    String remount =
        sh(base().rootInside(), "mount -o remount,rw /usr 2>&1; touch /usr/x 2>&1; true");
    assertTrue(remount.contains("Read-only file system"), remount);
  }

  @Test
  void theSeccompFilterRefusesEachDangerousCallForReal() throws Exception {
    Programs.require("/usr/bin/python3", "Debian's python3");
    java.util.Map<String, Integer> errno = Jailed.pythonErrnos(base(), "attacks.py");
    for (String refused :
        java.util.List.of(
            "ptrace_traceme",
            "tiocsti",
            "tiocsti_high_bits",
            "tioclinux",
            "unshare_user",
            "bpf",
            "perf_event_open",
            "userfaultfd",
            "io_uring_setup",
            "keyctl",
            "process_vm_readv",
            "open_by_handle_at",
            "mount",
            "umount2")) {
      assertEquals(Errno.EPERM, errno.get(refused), refused + " in\n" + errno.toString());
    }
    assertEquals(Errno.ENOSYS, errno.get("clone3"), errno.toString());
    // the sandbox's own network namespace bounds inet sockets; raw packets and vsock are refused
    assertEquals(0, errno.get("socket_inet"), errno.toString());
    assertEquals(0, errno.get("socket_unix"), errno.toString());
    assertEquals(97, errno.get("socket_packet"), "EAFNOSUPPORT\n" + errno.toString());
    assertEquals(97, errno.get("socket_vsock"), "EAFNOSUPPORT\n" + errno.toString());
  }

  @Test
  void optionsLiftTheirPartOfTheFilter() throws Exception {
    Programs.require("/usr/bin/python3", "Debian's python3");
    String py =
        "import ctypes; l = ctypes.CDLL(None, use_errno=True);"
            + " r = l.syscall(101, 0, 0, 0, 0); print(ctypes.get_errno() if r < 0 else 0)";
    assertEquals("1\n", sh(base(), "/usr/bin/python3 -c '" + py + "'"));
    assertEquals("0\n", sh(base().allowPtrace(true), "/usr/bin/python3 -c '" + py + "'"));
    String inet = "import socket; socket.socket(); print('inet ok')";
    assertEquals("inet ok\n", sh(base().network(true), "/usr/bin/python3 -c \"" + inet + "\""));
  }

  @Test
  void coreDumpsAreOff() throws Exception {
    assertEquals("0\n", sh(base(), "ulimit -c"));
  }

  @Test
  void theSandboxDiesWithItsJvmEvenOnKillMinus9() throws Exception {
    String java = TestJvm.java();
    Process jvm =
        new ProcessBuilder(
                java,
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                TestJvm.classPath(DieWithParentMain.class, Sandbox.class, Syscalls.class),
                DieWithParentMain.class.getName())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try {
      String pid =
          new java.io.BufferedReader(
                  new java.io.InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8))
              .readLine();
      assertTrue(pid != null && pid.matches("\\d+"), "sandbox pid: " + pid);
      String ns = Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/pid")).toString();
      int expected = InitBinary.fd() >= 0 ? 4 : 3;
      Await.until("robojail-init, sh and two sleeps", () -> inNamespace(ns) >= expected);
      assertEquals(expected, inNamespace(ns), "robojail-init, sh and two sleeps");
      jvm.destroyForcibly(); // SIGKILL: no shutdown hook, no finally, nothing of Java runs
      jvm.waitFor();
      Await.until("every process of the sandbox to be gone", () -> inNamespace(ns) == 0);
    } finally {
      jvm.destroyForcibly();
    }
  }

  @Test
  void aPseudoTerminalBecomesTheControllingTerminalOfTheNewSession() throws Exception {
    dev.robojail.ffm.Pty pty = dev.robojail.ffm.Pty.open();
    try {
      dev.robojail.ffm.Pty.setSize(pty.master(), 33, 101);
      SandboxProcess p =
          base()
              .stdin(Stdio.descriptor(pty.slave()))
              .stdout(Stdio.descriptor(pty.slave()))
              .stderr(Stdio.descriptor(pty.slave()))
              .controllingTerminal(true)
              .command(
                  "/bin/sh",
                  "-c",
                  "test -t 0 && echo tty-ok; stty size; test \"$(cut -d' ' -f7 /proc/self/stat)\""
                      + " != 0 && echo ctty-ok")
              .start();
      Syscalls.close(pty.slave());
      String out;
      try (var in =
          new dev.robojail.ffm.FdInputStream(
              Syscalls.dup3(pty.master(), 900, Syscalls.O_CLOEXEC))) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[256];
        int n;
        try {
          while ((n = in.read(buf, 0, buf.length)) > 0) {
            b.write(buf, 0, n);
          }
        } catch (IOException e) {
          // EIO: every slave descriptor is closed, the terminal has hung up
        }
        out = b.toString(StandardCharsets.UTF_8).replace("\r", "");
      }
      assertEquals(0, p.waitFor());
      assertEquals("tty-ok\n33 101\nctty-ok\n", out);
    } finally {
      Syscalls.close(pty.master());
    }
    SandboxException.InvalidSpec e =
        assertThrows(
            SandboxException.InvalidSpec.class,
            () -> base().newSession(false).controllingTerminal(true).command("true").build());
    assertTrue(e.getMessage().contains("new session"));
  }

  @Test
  void landlockRefusesWritesTheMountTableWouldAllow() throws Exception {
    assumeTrue(dev.robojail.ffm.Landlock.abi() > 0, "no Landlock in this kernel");
    // A writable root tmpfs: the mount table allows writing there, Landlock does not.
    String denied = sh(base().writableRoot(true), "touch /planted 2>&1; touch /tmp/ok && echo ok");
    assertTrue(denied.contains("Permission denied"), denied);
    assertTrue(denied.endsWith("ok\n"), denied);
    assertEquals(
        "made\n", sh(base().writableRoot(true).landlock(false), "touch /planted && echo made"));
  }

  @Test
  void resourceLimitsHoldAgainstAForkBomb() throws Exception {
    assertEquals(
        "256 40\n",
        sh(
            base().openFiles(256).processes(40),
            "echo $(ulimit -n) $(grep 'Max processes' /proc/self/limits | tr -s ' ' | cut -d' ' -f3)"));
    // The kernel exempts the host's root from RLIMIT_NPROC (copy_process checks INIT_USER);
    // for everyone else the limit stops a fork bomb.
    assumeTrue(Syscalls.getuid() != 0, "RLIMIT_NPROC does not bind the host's root");
    SandboxProcess p =
        base()
            .processes(40)
            .command("/bin/sh", "-c", "for i in $(seq 80); do sleep 1 & done; wait")
            .stdout(Stdio.pipe())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    assertTrue(out.contains("Cannot fork"), "the 41st process must not start: " + out);
  }

  @Test
  void aBindSourceSwappedForASymlinkAfterTheCheckIsRefused(@TempDir Path dir) throws Exception {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    Path project = Files.createDirectory(dir.resolve("project"));
    Path secret = Files.createDirectory(dir.resolve("secret"));
    Files.writeString(secret.resolve("key"), "do not show");
    Sandbox s = base().bind(project, "/work").command("/bin/sh", "-c", "cat /work/key").build();
    // Between the check (build) and the use (start), the path is swapped for a link.
    Files.delete(project);
    Files.createSymbolicLink(project, secret);
    SandboxException.SetupFailed e = assertThrows(SandboxException.SetupFailed.class, s::start);
    assertEquals(Errno.ELOOP, e.errno(), e.getMessage());
    assertTrue(e.call().contains("= openat2(AT_FDCWD, \"/oldroot" + project + "\""), e.call());

    // A spec rebuilt now (as run's is, with its streams) keeps the source its first build
    // resolved: the link is not followed to the secret, the child refuses it as well.
    Sandbox rebuilt = s.toBuilder().stdout(Stdio.discard()).build();
    e = assertThrows(SandboxException.SetupFailed.class, rebuilt::start);
    assertEquals(Errno.ELOOP, e.errno(), e.getMessage());
  }

  @Test
  void sigtermToTheJvmGivesTheCommandAChanceToCleanUp(@TempDir Path dir) throws Exception {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    String java = TestJvm.java();
    Process jvm =
        new ProcessBuilder(
                java,
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                TestJvm.classPath(EndWithJvmMain.class, Sandbox.class, Syscalls.class),
                EndWithJvmMain.class.getName(),
                dir.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try {
      String line =
          new java.io.BufferedReader(
                  new java.io.InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8))
              .readLine();
      assertEquals("linked", line);
      Await.until("the command to set its trap", () -> Files.exists(dir.resolve("started")));
      jvm.destroy(); // SIGTERM to the JVM, as from kill or a service manager
      assertTrue(jvm.waitFor(30, TimeUnit.SECONDS));
      assertEquals("cleaned-up\n", Files.readString(dir.resolve("term")));
    } finally {
      jvm.destroyForcibly();
    }
  }
}
