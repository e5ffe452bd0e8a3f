package dev.robojail.cli;

import dev.robojail.ffm.Landlock;
import dev.robojail.ffm.SetupRunner;
import dev.robojail.jail.JailException;
import dev.robojail.sandbox.Sandbox;
import dev.robojail.sandbox.SandboxException;
import dev.robojail.sandbox.SandboxProcess;
import dev.robojail.sandbox.Stdio;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

/**
 * Says which protection layers a jail gets on this machine, by starting a real sandbox and reading
 * what its process reports about itself, and what to change where one is missing.
 */
@Command(
    name = "doctor",
    mixinStandardHelpOptions = true,
    description = "Checks this machine and reports which protection layers jails get.")
final class DoctorCommand extends JailCommand {
  private final List<String> problems = new ArrayList<>();

  @Override
  int doCall() {
    line(
        "kernel",
        System.getProperty("os.name")
            + " "
            + System.getProperty("os.version")
            + " ("
            + System.getProperty("os.arch")
            + ")",
        true);
    line(
        "setup runner",
        SetupRunner.supported() ? "x86-64" : "not supported on this architecture",
        SetupRunner.supported());
    String status = null;
    try {
      SandboxProcess p =
          Sandbox.builder()
              .minimalSystem()
              .command("/bin/sh", "-c", "cat /proc/self/status")
              .stdout(Stdio.pipe())
              .stderr(Stdio.discard())
              .start();
      status = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor();
      line("namespaces", "user, mount, pid, ipc, uts, net: a sandbox started", true);
    } catch (SandboxException e) {
      line("namespaces", e.getMessage(), false);
    } catch (IOException e) {
      line("namespaces", "cannot read the sandbox's output: " + e.getMessage(), false);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new JailException("interrupted");
    }
    if (status != null) {
      line(
          "no_new_privs",
          field(status, "NoNewPrivs").equals("1") ? "set" : "NOT set",
          field(status, "NoNewPrivs").equals("1"));
      line(
          "seccomp filter",
          field(status, "Seccomp").equals("2") ? "active" : "NOT active",
          field(status, "Seccomp").equals("2"));
      String seen = status;
      boolean noCaps =
          List.of("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb").stream()
              .allMatch(f -> field(seen, f).equals("0000000000000000"));
      line("capabilities", noCaps ? "all dropped" : "NOT all dropped", noCaps);
    }
    int abi = Landlock.abi();
    line(
        "landlock",
        abi > 0
            ? "ABI " + abi + ": writes confined to the writable mounts"
            : "not available (kernel without Landlock, or lsm= lacks landlock): mount table only",
        true);
    String apparmor = sysctl("kernel/apparmor_restrict_unprivileged_userns");
    if (apparmor != null) {
      line("apparmor userns", "kernel.apparmor_restrict_unprivileged_userns = " + apparmor, true);
    }
    line("config", describeConfig(), true);
    out().flush();
    if (!problems.isEmpty()) {
      err().println("robojail: doctor found problems: " + String.join("; ", problems));
      return Errors.INTERNAL;
    }
    return Errors.OK;
  }

  private String describeConfig() {
    try {
      var c = jails().config();
      return (c.networkEnabled() ? "network on" : "network off")
          + ", "
          + c.hiddenPaths().size()
          + " hidden paths, "
          + (c.extraRoBinds().size() + c.extraRwBinds().size())
          + " extra binds";
    } catch (JailException e) {
      problems.add(e.getMessage());
      return e.getMessage();
    }
  }

  private void line(String what, String value, boolean ok) {
    out().printf("%-16s %-4s %s%n", what, ok ? "ok" : "FAIL", value);
    if (!ok) {
      problems.add(what + ": " + value);
    }
  }

  private static String field(String status, String name) {
    return status
        .lines()
        .filter(l -> l.startsWith(name + ":"))
        .map(l -> l.substring(name.length() + 1).strip())
        .findFirst()
        .orElse("?");
  }

  private static String sysctl(String name) {
    try {
      return Files.readAllLines(Path.of("/proc/sys", name)).getFirst().strip();
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
