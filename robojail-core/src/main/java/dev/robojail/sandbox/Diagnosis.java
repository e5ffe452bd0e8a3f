package dev.robojail.sandbox;

import dev.robojail.ffm.Errno;
import dev.robojail.ffm.Procfs;
import dev.robojail.ffm.SetupProgram;
import dev.robojail.ffm.SetupStepException;
import dev.robojail.ffm.SyscallException;

/**
 * Turns a failed start into an exception that says why: a missing command, namespaces the kernel
 * refuses (with how to fix that), or the setup step that failed.
 */
final class Diagnosis {
  private Diagnosis() {}

  /**
   * The sysctls that decide whether an unprivileged user may have namespaces; each is null where
   * this kernel has no such setting.
   *
   * @param apparmorRestrictUnprivilegedUserns {@code kernel.apparmor_restrict_unprivileged_userns}
   *     (Ubuntu)
   * @param unprivilegedUsernsClone {@code kernel.unprivileged_userns_clone} (Debian)
   * @param maxUserNamespaces {@code user.max_user_namespaces}
   */
  record Sysctls(
      String apparmorRestrictUnprivilegedUserns,
      String unprivilegedUsernsClone,
      String maxUserNamespaces) {
    /** This machine's settings. */
    static Sysctls read() {
      return new Sysctls(
          sysctl("kernel/apparmor_restrict_unprivileged_userns"),
          sysctl("kernel/unprivileged_userns_clone"),
          sysctl("user/max_user_namespaces"));
    }

    private static String sysctl(String name) {
      return Procfs.sysctl(name).orElse(null);
    }
  }

  /**
   * Why {@code clone3} refused the namespaces: ENOSPC is a limit on their number (a limit of 0
   * means they are switched off), anything else is judged by the settings that forbid them.
   */
  static SandboxException cloneFailed(SyscallException e, Sysctls sysctls) {
    String why =
        e.errno() == Errno.ENOSPC
                && sysctls.maxUserNamespaces() != null
                && !"0".equals(sysctls.maxUserNamespaces())
            ? "; this user has as many user namespaces as user.max_user_namespaces = "
                + sysctls.maxUserNamespaces()
                + " allows (or they nest 32 deep). Raise the limit with"
                + " `sudo sysctl user.max_user_namespaces=15000`"
            : reason(sysctls);
    return new SandboxException.NamespacesUnavailable(
        "cannot create the sandbox's namespaces: " + e.getMessage() + why, e);
  }

  /**
   * What a failed step of {@code program}, the program that was run for {@code sandbox}, means. It
   * is judged by the stage of the step: a command that is not there fails its exec with ENOENT, or
   * robojail-init's lookup of it with EBADF; EPERM before the spec's first mount means the kernel
   * lets the user namespace be created but not used (AppArmor on Ubuntu does this).
   */
  static SandboxException setupFailed(
      Sandbox sandbox, SetupProgram program, SetupStepException e, Sysctls sysctls) {
    Stage stage = Stage.of(program, e.step());
    String command = sandbox.command().getFirst();
    if ((stage == Stage.EXEC && e.errno() == Errno.ENOENT)
        || (stage == Stage.LOOKUP && e.errno() == Errno.EBADF)) {
      return new SandboxException.CommandNotFound(
          "command not found in the sandbox: " + command + " (" + e.getMessage() + ")",
          e.step(),
          e.call(),
          e.errno(),
          e);
    }
    if ((stage == Stage.EXEC || stage == Stage.LOOKUP)
        && (e.errno() == Errno.EACCES || e.errno() == Errno.ENOEXEC)) {
      return new SandboxException.CannotExecute(
          "cannot execute "
              + command
              + " in the sandbox: "
              + (e.errno() == Errno.EACCES
                  ? "permission denied (no execute permission, or a noexec mount)"
                  : "not a format the kernel can run (a script needs a #! line)")
              + " ("
              + e.getMessage()
              + ")",
          e.step(),
          e.call(),
          e.errno(),
          e);
    }
    if (stage == Stage.OVERLAY) {
      return new SandboxException.OverlayRefused(
          "the kernel refused an overlay: " + e.getMessage(), e.step(), e.call(), e.errno(), e);
    }
    if (stage == Stage.JOIN) {
      return new SandboxException.SetupFailed(
          (e.errno() == Errno.ESRCH
                  ? "the sandbox has ended: "
                  : e.errno() == Errno.EPERM
                      ? "the kernel does not let this user join the sandbox (is it another"
                          + " user's?): "
                      : "cannot join the sandbox: ")
              + e.getMessage(),
          e.step(),
          e.call(),
          e.errno(),
          e);
    }
    if ((stage == Stage.NETWORK || stage == Stage.ROOT) && e.errno() == Errno.EPERM) {
      return new SandboxException.NamespacesUnavailable(
          "the kernel refused mounts in the sandbox's own namespaces: "
              + e.getMessage()
              + reason(sysctls),
          e);
    }
    return new SandboxException.SetupFailed(e.getMessage(), e.step(), e.call(), e.errno(), e);
  }

  /** What these settings say, with the command that would change them. */
  static String reason(Sysctls sysctls) {
    if ("1".equals(sysctls.apparmorRestrictUnprivilegedUserns())) {
      return "; AppArmor restricts unprivileged user namespaces"
          + " (kernel.apparmor_restrict_unprivileged_userns = 1). Allow them with"
          + " `sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`, or give robojail's"
          + " java an AppArmor profile with `userns,`";
    }
    if ("0".equals(sysctls.unprivilegedUsernsClone())) {
      return "; unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)."
          + " Enable them with `sudo sysctl kernel.unprivileged_userns_clone=1`";
    }
    if ("0".equals(sysctls.maxUserNamespaces())) {
      return "; user namespaces are disabled (user.max_user_namespaces = 0). Enable them with"
          + " `sudo sysctl user.max_user_namespaces=15000`";
    }
    return "; user namespaces may be disabled by the kernel configuration or a container runtime"
        + " (robojail needs CONFIG_USER_NS and unprivileged user namespaces)";
  }
}
