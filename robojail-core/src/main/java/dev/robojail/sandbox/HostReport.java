package dev.robojail.sandbox;

import dev.robojail.ffm.InitBinary;
import dev.robojail.ffm.Landlock;
import dev.robojail.ffm.Procfs;
import dev.robojail.ffm.SetupRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Which protection layers a sandbox gets on this machine, found by starting a real sandbox and
 * reading what its process reports about itself ({@code /proc/self/status}), plus what the kernel
 * says about the layers it may lack. {@code robojail doctor} prints it; an embedding tool can show
 * it its own way.
 */
public final class HostReport {
  /** How a check came out. */
  public enum Status {
    /** The layer is there, or its absence is a known, documented degradation. */
    OK,
    /** Sandboxes work, with less than robojail would like. */
    WARN,
    /** A layer robojail counts on is missing. */
    FAIL,
    /** Not a check: what was found, for the reader (such as the kernel's version). */
    INFO
  }

  /**
   * One line of the report.
   *
   * @param name what was checked, such as {@code seccomp filter}
   * @param status how it came out
   * @param detail what was found, and what to change where something is missing
   */
  public record Check(String name, Status status, String detail) {
    /** A check that passed or failed. */
    static Check of(String name, boolean ok, String detail) {
      return new Check(name, ok ? Status.OK : Status.FAIL, detail);
    }
  }

  private HostReport() {}

  /**
   * Runs every check, in the order a report shows them. Starts one short-lived sandbox.
   *
   * @throws InterruptedException if interrupted while the sandbox ran
   */
  public static List<Check> checks() throws InterruptedException {
    List<Check> checks = new ArrayList<>();
    checks.add(
        new Check(
            "kernel",
            Status.INFO,
            System.getProperty("os.name")
                + " "
                + System.getProperty("os.version")
                + " ("
                + System.getProperty("os.arch")
                + ")"));
    checks.add(
        Check.of(
            "setup runner",
            SetupRunner.supported(),
            SetupRunner.supported() ? "x86-64" : "not supported on this architecture"));
    String status = null;
    boolean namespaces = false;
    try {
      SandboxProcess p =
          Sandbox.builder()
              .minimalSystem()
              .command("/bin/sh", "-c", "cat /proc/self/status")
              .stdout(Stdio.pipe())
              .stderr(Stdio.discard())
              .start();
      status = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int code = p.waitFor();
      namespaces = code == 0;
      checks.add(
          Check.of(
              "namespaces",
              namespaces,
              namespaces
                  ? "user, mount, pid, ipc, uts, net: a sandbox started"
                  : "a sandbox started, but its command ended with status " + code));
    } catch (SandboxException e) {
      checks.add(Check.of("namespaces", false, e.getMessage()));
    } catch (IOException e) {
      checks.add(
          Check.of("namespaces", false, "cannot read the sandbox's output: " + e.getMessage()));
    }
    if (status != null) {
      boolean noNewPrivs = field(status, "NoNewPrivs").equals("1");
      checks.add(Check.of("no_new_privs", noNewPrivs, noNewPrivs ? "set" : "NOT set"));
      boolean seccomp = field(status, "Seccomp").equals("2");
      checks.add(Check.of("seccomp filter", seccomp, seccomp ? "active" : "NOT active"));
      String seen = status;
      boolean noCaps =
          List.of("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb").stream()
              .allMatch(f -> field(seen, f).equals("0000000000000000"));
      checks.add(Check.of("capabilities", noCaps, noCaps ? "all dropped" : "NOT all dropped"));
    }
    checks.add(landlock(Landlock.abi()));
    boolean worked = namespaces;
    java.util.Optional<Cgroup.Place> cgroup = Cgroup.find();
    boolean full = cgroup.isPresent() && cgroup.get().parents().size() == 2;
    checks.add(
        new Check(
            "cgroup",
            full ? Status.OK : Status.WARN,
            (full ? "each sandbox gets its own, limiting processes and memory: " : "")
                + Cgroup.describe(cgroup)));
    Procfs.sysctl("kernel/apparmor_restrict_unprivileged_userns")
        .ifPresent(v -> checks.add(apparmor(v, worked)));
    checks.add(
        InitBinary.unavailable()
            .map(
                why ->
                    new Check(
                        "init",
                        Status.WARN,
                        "robojail-init is unavailable ("
                            + why
                            + "); commands run as PID 1 of their PID namespace: they ignore"
                            + " signals they have no handler for, and orphans are not reaped"))
            .orElseGet(
                () -> Check.of("init", true, "robojail-init passes signals on and reaps orphans")));
    return List.copyOf(checks);
  }

  /** Without Landlock, writes are confined by the mount table alone: less, but sandboxes work. */
  static Check landlock(int abi) {
    return abi > 0
        ? new Check(
            "landlock",
            Status.OK,
            "ABI "
                + abi
                + ": writes confined to the writable mounts"
                + (abi >= 6
                    ? "; abstract UNIX sockets and signals scoped to the jail"
                    : "; no scoping of abstract UNIX sockets (needs ABI 6): only a network"
                        + " namespace keeps the host's out"))
        : new Check(
            "landlock",
            Status.WARN,
            "not available (kernel without Landlock, or lsm= lacks landlock): mount table only");
  }

  /**
   * Ubuntu's AppArmor switch for unprivileged user namespaces, judged by what it did: it only
   * matters when it is on and the sandbox could not be started.
   */
  static Check apparmor(String value, boolean namespacesWork) {
    String setting = "kernel.apparmor_restrict_unprivileged_userns = " + value;
    if (value.equals("0")) {
      return new Check("apparmor userns", Status.OK, setting);
    }
    if (namespacesWork) {
      return new Check(
          "apparmor userns", Status.OK, setting + ", and sandboxes start: robojail is allowed");
    }
    return new Check(
        "apparmor userns",
        Status.FAIL,
        setting
            + ": it keeps unprivileged users from using user namespaces; set it to 0 or give"
            + " java an AppArmor profile that allows userns");
  }

  private static String field(String status, String name) {
    return status
        .lines()
        .filter(l -> l.startsWith(name + ":"))
        .map(l -> l.substring(name.length() + 1).strip())
        .findFirst()
        .orElse("?");
  }
}
