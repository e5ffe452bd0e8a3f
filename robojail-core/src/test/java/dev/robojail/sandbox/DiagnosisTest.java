package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.Errno;
import dev.robojail.ffm.SetupProgram;
import dev.robojail.ffm.SetupStepException;
import dev.robojail.ffm.SyscallException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How a failed start is explained, on made-up hosts and failures: the advice for each sysctl, and
 * the failure classified by the stage of the step that failed. No kernel needed.
 */
class DiagnosisTest {
  private static final Diagnosis.Sysctls NOTHING_SET = new Diagnosis.Sysctls(null, null, null);
  private static final Diagnosis.Sysctls APPARMOR = new Diagnosis.Sysctls("1", null, "15000");

  private static final String APPARMOR_ADVICE =
      "; AppArmor restricts unprivileged user namespaces"
          + " (kernel.apparmor_restrict_unprivileged_userns = 1). Allow them with"
          + " `sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`, or give robojail's"
          + " java an AppArmor profile with `userns,`";

  @Test
  void appArmorRestrictingUserNamespacesIsNamedFirst() {
    assertEquals(APPARMOR_ADVICE, Diagnosis.reason(APPARMOR));
    assertEquals(APPARMOR_ADVICE, Diagnosis.reason(new Diagnosis.Sysctls("1", "0", "0")));
  }

  @Test
  void debiansUnprivilegedUsernsCloneOff() {
    assertEquals(
        "; unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)."
            + " Enable them with `sudo sysctl kernel.unprivileged_userns_clone=1`",
        Diagnosis.reason(new Diagnosis.Sysctls("0", "0", "0")));
  }

  @Test
  void noUserNamespacesAllowed() {
    assertEquals(
        "; user namespaces are disabled (user.max_user_namespaces = 0). Enable them with"
            + " `sudo sysctl user.max_user_namespaces=15000`",
        Diagnosis.reason(new Diagnosis.Sysctls(null, "1", "0")));
  }

  @Test
  void noSettingExplainsIt() {
    String unknown =
        "; user namespaces may be disabled by the kernel configuration or a container runtime"
            + " (robojail needs CONFIG_USER_NS and unprivileged user namespaces)";
    assertEquals(unknown, Diagnosis.reason(NOTHING_SET));
    assertEquals(unknown, Diagnosis.reason(new Diagnosis.Sysctls("0", "1", "15000")));
  }

  @Test
  void aRefusedCloneSaysTheNamespacesAreUnavailableAndWhy() {
    SyscallException e = new SyscallException("clone3({flags=CLONE_NEWUSER})", Errno.EPERM);
    SandboxException d = Diagnosis.cloneFailed(e, APPARMOR);
    assertInstanceOf(SandboxException.NamespacesUnavailable.class, d);
    assertEquals(
        "cannot create the sandbox's namespaces: " + e.getMessage() + APPARMOR_ADVICE,
        d.getMessage());
  }

  /** The step of {@code plan} that fails first in {@code stage}, failing with {@code errno}. */
  private static SetupStepException failure(
      SetupProgram plan, Stage stage, String name, int errno) {
    List<SetupProgram.Step> steps = plan.steps();
    for (int i = 0; i < steps.size(); i++) {
      SetupProgram.Step s = steps.get(i);
      if (s.stage().equals(stage.label()) && s.name().equals(name)) {
        return new SetupStepException(i, s, errno, -errno);
      }
    }
    throw new AssertionError("no " + name + " in stage " + stage + " of\n" + plan);
  }

  private static SandboxException diagnose(Sandbox s, SetupProgram plan, SetupStepException e) {
    return Diagnosis.setupFailed(s, plan, e, APPARMOR);
  }

  @Test
  void aCommandThatIsNotThereIsReportedAsNotFound() {
    Sandbox s = Sandbox.builder().command("no-such-tool").build();
    SetupProgram plain = s.plan(SetupPlanTest.NO_INIT);
    // The last candidate's execve is the one that fails: the others tolerate ENOENT.
    int last = plain.steps().size() - 1;
    assertEquals(Stage.EXEC, Stage.of(plain, last));
    SetupStepException e = new SetupStepException(last, plain.steps().get(last), Errno.ENOENT, -2);
    SandboxException.SetupFailed f =
        assertInstanceOf(SandboxException.CommandNotFound.class, diagnose(s, plain, e));
    assertEquals(
        "command not found in the sandbox: no-such-tool (" + e.getMessage() + ")", f.getMessage());
    assertEquals(e.step(), f.step());
    assertEquals(e.call(), f.call());
    assertEquals(Errno.ENOENT, f.errno());

    SetupProgram withInit = s.plan(SetupPlanTest.HOST);
    SetupStepException lookup = failure(withInit, Stage.LOOKUP, "faccessat2", Errno.EBADF);
    SandboxException d = diagnose(s, withInit, lookup);
    assertInstanceOf(SandboxException.CommandNotFound.class, d);
    assertEquals(
        "command not found in the sandbox: no-such-tool (" + lookup.getMessage() + ")",
        d.getMessage());
  }

  @Test
  void aCommandThatMayNotBeExecutedIsReportedAsCannotExecute() {
    Sandbox s = Sandbox.builder().command("tool").build();
    SetupProgram plain = s.plan(SetupPlanTest.NO_INIT);
    int last = plain.steps().size() - 1;
    for (int errno : new int[] {Errno.EACCES, Errno.ENOEXEC}) {
      SetupStepException e = new SetupStepException(last, plain.steps().get(last), errno, -errno);
      SandboxException d = diagnose(s, plain, e);
      assertInstanceOf(SandboxException.CannotExecute.class, d, d.getMessage());
      assertTrue(d.getMessage().startsWith("cannot execute tool in the sandbox: "), d.getMessage());
      assertTrue(d.getMessage().endsWith("(" + e.getMessage() + ")"), d.getMessage());
    }
    SetupProgram withInit = s.plan(SetupPlanTest.HOST);
    SandboxException d =
        diagnose(s, withInit, failure(withInit, Stage.LOOKUP, "faccessat2", Errno.EACCES));
    assertInstanceOf(SandboxException.CannotExecute.class, d, d.getMessage());
    assertTrue(
        d.getMessage()
            .startsWith(
                "cannot execute tool in the sandbox: permission denied (no execute permission,"
                    + " or a noexec mount)"),
        d.getMessage());
  }

  @Test
  void enospcOnCloneIsTheNamespaceLimitAndHowToRaiseIt() {
    SyscallException e = new SyscallException("clone3({flags=CLONE_NEWUSER})", Errno.ENOSPC);
    SandboxException d = Diagnosis.cloneFailed(e, new Diagnosis.Sysctls(null, null, "63"));
    assertInstanceOf(SandboxException.NamespacesUnavailable.class, d);
    assertTrue(d.getMessage().contains("user.max_user_namespaces = 63"), d.getMessage());
    assertTrue(
        d.getMessage().endsWith("`sudo sysctl user.max_user_namespaces=15000`"), d.getMessage());
    // a limit of 0 means they are switched off, which has its own advice
    assertTrue(
        Diagnosis.cloneFailed(e, new Diagnosis.Sysctls(null, null, "0"))
            .getMessage()
            .endsWith(
                "user namespaces are disabled (user.max_user_namespaces = 0). Enable them"
                    + " with `sudo sysctl user.max_user_namespaces=15000`"));
  }

  @Test
  void epermBeforeTheSpecsMountsMeansTheNamespacesAreUnusable() {
    Sandbox s = Sandbox.builder().command("/bin/true").build();
    SetupProgram plan = s.plan(SetupPlanTest.HOST);
    for (SetupStepException e :
        List.of(
            failure(plan, Stage.NETWORK, "ioctl", Errno.EPERM),
            failure(plan, Stage.ROOT, "mount", Errno.EPERM),
            failure(plan, Stage.ROOT, "pivot_root", Errno.EPERM))) {
      SandboxException d = diagnose(s, plan, e);
      assertInstanceOf(SandboxException.NamespacesUnavailable.class, d, e.getMessage());
      assertEquals(
          "the kernel refused mounts in the sandbox's own namespaces: "
              + e.getMessage()
              + APPARMOR_ADVICE,
          d.getMessage());
    }
    // With the host's network there is no loopback to bring up: the first mount is step 0.
    Sandbox shared = Sandbox.builder().network(true).command("/bin/true").build();
    SetupProgram sharedPlan = shared.plan(SetupPlanTest.HOST);
    SetupStepException first = failure(sharedPlan, Stage.ROOT, "mount", Errno.EPERM);
    assertEquals(0, first.step());
    assertInstanceOf(
        SandboxException.NamespacesUnavailable.class, diagnose(shared, sharedPlan, first));
  }

  @Test
  void otherFailuresNameTheCallThatFailed() {
    Sandbox s = Sandbox.builder().tmpfs("/t").hostname("h").command("/bin/true").build();
    SetupProgram plan = s.plan(SetupPlanTest.HOST);
    List<SetupStepException> failures =
        List.of(
            failure(plan, Stage.MOUNTS, "mount", Errno.EPERM),
            failure(plan, Stage.ROOT, "mount", Errno.EINVAL),
            failure(plan, Stage.PROCESS, "sethostname", Errno.EPERM),
            failure(plan, Stage.LOOKUP, "openat", Errno.ELOOP),
            failure(plan, Stage.INIT, "execveat", Errno.ENOENT),
            failure(plan, Stage.SECCOMP, "seccomp", Errno.EACCES),
            new SetupStepException(-1, plan.steps().getFirst(), Errno.EPERM, -1));
    for (SetupStepException e : failures) {
      SandboxException.SetupFailed f =
          assertInstanceOf(SandboxException.SetupFailed.class, diagnose(s, plan, e));
      assertEquals(e.getMessage(), f.getMessage());
      assertEquals(e.step(), f.step());
      assertEquals(e.call(), f.call());
      assertEquals(e.errno(), f.errno());
      assertTrue(f.getMessage().contains(e.call()), f.getMessage());
    }
  }
}
