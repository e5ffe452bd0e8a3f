package dev.robojail.sandbox;

import dev.robojail.ffm.SetupStepException;
import dev.robojail.ffm.SyscallException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Turns "the kernel refused a namespace" into a message that says why and how to fix it. */
final class Diagnosis {
  private Diagnosis() {}

  static SandboxException cloneFailed(SyscallException e) {
    return new SandboxException.NamespacesUnavailable(
        "cannot create the sandbox's namespaces: " + e.getMessage() + reason(), e);
  }

  /** The kernel let us create the user namespace but not use it: AppArmor on Ubuntu does this. */
  static SandboxException firstMountRefused(SetupStepException e) {
    return new SandboxException.NamespacesUnavailable(
        "the kernel refused mounts in the sandbox's own namespaces: " + e.getMessage() + reason(),
        e);
  }

  /** What this machine's settings say, with the command that would change them. */
  static String reason() {
    String apparmor = sysctl("kernel/apparmor_restrict_unprivileged_userns");
    if ("1".equals(apparmor)) {
      return "; AppArmor restricts unprivileged user namespaces"
          + " (kernel.apparmor_restrict_unprivileged_userns = 1). Allow them with"
          + " `sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`, or give robojail's"
          + " java an AppArmor profile with `userns,`";
    }
    String clone = sysctl("kernel/unprivileged_userns_clone");
    if ("0".equals(clone)) {
      return "; unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)."
          + " Enable them with `sudo sysctl kernel.unprivileged_userns_clone=1`";
    }
    String max = sysctl("user/max_user_namespaces");
    if ("0".equals(max)) {
      return "; user namespaces are disabled (user.max_user_namespaces = 0). Enable them with"
          + " `sudo sysctl user.max_user_namespaces=15000`";
    }
    return "; user namespaces may be disabled by the kernel configuration or a container runtime"
        + " (robojail needs CONFIG_USER_NS and unprivileged user namespaces)";
  }

  private static String sysctl(String name) {
    try {
      // Not Files.readString: on a sysctl file (size 0) it may return only the first byte.
      return Files.readAllLines(Path.of("/proc/sys", name)).getFirst().strip();
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
