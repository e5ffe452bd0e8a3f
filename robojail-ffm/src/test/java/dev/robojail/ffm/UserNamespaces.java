package dev.robojail.ffm;

import dev.robojail.ffm.SetupProgram.Arg;
import dev.robojail.ffm.SetupProgram.Step;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The condition behind {@link NeedsUserNamespaces}: once per JVM, a child is started in new user,
 * mount, PID, IPC, UTS and network namespaces, makes its root private (a mount, which AppArmor on
 * Ubuntu refuses in a namespace it let the user create) and runs {@code /bin/true}.
 */
public final class UserNamespaces implements ExecutionCondition {
  private static final long NAMESPACES =
      Syscalls.CLONE_NEWUSER
          | Syscalls.CLONE_NEWNS
          | Syscalls.CLONE_NEWPID
          | Syscalls.CLONE_NEWIPC
          | Syscalls.CLONE_NEWUTS
          | Syscalls.CLONE_NEWNET;

  /** Why the kernel refused, or empty if it did not; probed once, on first use. */
  private static final class Probe {
    static final Optional<String> REFUSAL = refusal();
  }

  /** Why user namespaces cannot be used here, or empty if they can. */
  public static Optional<String> refusal() {
    if (!SetupRunner.supported()) {
      return Optional.of("no setup runner for " + System.getProperty("os.arch"));
    }
    try {
      SetupRunner.Child c =
          SetupRunner.start(
              SetupProgram.of(
                  List.of(
                      Step.of(
                          "mount",
                          Sysno.MOUNT,
                          Arg.of(0),
                          Arg.str("/"),
                          Arg.of(0),
                          Arg.of(Flags.MS_REC | Flags.MS_PRIVATE),
                          Arg.of(0)),
                      Step.of(
                          "execve",
                          Sysno.EXECVE,
                          Arg.str("/bin/true"),
                          Arg.strings(List.of("/bin/true")),
                          Arg.strings(List.of())))),
              NAMESPACES,
              rootInsideAsMe());
      try {
        SigInfo end = Syscalls.waitid(Syscalls.P_PIDFD, c.pidfd(), Syscalls.WEXITED);
        if (end.status() != 0) {
          return Optional.of("/bin/true in new user namespaces ended with " + end);
        }
      } finally {
        Syscalls.close(c.pidfd());
      }
      return Optional.empty();
    } catch (SyscallException | IllegalStateException e) {
      // IllegalStateException: the id maps could not be written (the hook's IOException)
      return Optional.of(
          "user namespaces unavailable as uid " + Syscalls.getuid() + ": " + e.getMessage());
    }
  }

  /** The parent's part of a child's start: root inside maps to this process's uid and gid. */
  static SetupRunner.ParentHook rootInsideAsMe() {
    int uid = Syscalls.getuid();
    int gid = Syscalls.getgid();
    return pid -> {
      Path proc = Path.of("/proc/" + pid);
      Files.writeString(proc.resolve("setgroups"), "deny");
      Files.writeString(proc.resolve("uid_map"), "0 " + uid + " 1\n");
      Files.writeString(proc.resolve("gid_map"), "0 " + gid + " 1\n");
    };
  }

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    Optional<String> refusal = Probe.REFUSAL;
    if (refusal.isEmpty()) {
      return ConditionEvaluationResult.enabled("user namespaces work here");
    }
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      throw new AssertionError(
          refusal.get() + ", and CI=true: CI machines have user namespaces, so this is a failure");
    }
    return ConditionEvaluationResult.disabled(refusal.get());
  }
}
