package dev.robojail.sandbox;

import dev.robojail.ffm.SetupProgram;
import java.util.Locale;

/**
 * The part of the setup a step of the plan belongs to. Each step carries its stage's label, so a
 * printed plan shows it and a failure is diagnosed by the stage of the step that failed, not by its
 * position or its text.
 */
enum Stage {
  /**
   * A session joining a running sandbox: {@code setns} into its namespaces, through a pidfd of its
   * PID 1; or a helper that joins its user and network namespaces to connect a socket there.
   */
  JOIN,
  /** The loopback interface of the sandbox's own network. */
  NETWORK,
  /**
   * The new root is prepared: mount propagation cut, a base tmpfs pivoted into, an empty root.
   * Nothing of the spec can make these fail, so EPERM here means the namespaces are unusable.
   */
  ROOT,
  /** The spec's mounts, the root made read-only, and the final pivot into it. */
  MOUNTS,
  /**
   * One {@link Mount.Overlay} among the mounts, in its place in their order: a failure here is the
   * kernel refusing that overlay ({@link SandboxException.OverlayRefused}).
   */
  OVERLAY,
  /** The process's own settings: working directory, hostname, session, parent-death signal. */
  PROCESS,
  /** No new privileges, and the capabilities dropped. */
  PRIVILEGES,
  /** Resource limits. */
  LIMITS,
  /** The standard streams and the controlling terminal. */
  STDIO,
  /** The Landlock ruleset. */
  LANDLOCK,
  /** The seccomp filter. */
  SECCOMP,
  /** robojail-init's check that the command exists, done before the init runs it. */
  LOOKUP,
  /** The command's exec. */
  EXEC,
  /** robojail-init's exec. */
  INIT;

  /** How the stage is shown in a plan. */
  // Once per stage, not once per step: a plan tags some 500 steps.
  private final String label = name().toLowerCase(Locale.ROOT);

  String label() {
    return label;
  }

  /** The stage of step {@code index} of {@code program}, or null for a step of no stage. */
  static Stage of(SetupProgram program, int index) {
    if (index < 0 || index >= program.steps().size()) {
      return null; // the runner's own steps, or the end of the program
    }
    String label = program.steps().get(index).stage();
    for (Stage s : values()) {
      if (s.label().equals(label)) {
        return s;
      }
    }
    return null;
  }
}
