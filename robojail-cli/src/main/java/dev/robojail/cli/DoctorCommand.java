package dev.robojail.cli;

import dev.robojail.jail.JailException;
import dev.robojail.sandbox.HostReport;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

/**
 * Prints which protection layers a jail gets on this machine ({@link HostReport}) and the
 * configuration jails start from; fails when a layer is missing.
 */
@Command(
    name = "doctor",
    mixinStandardHelpOptions = true,
    description = "Checks this machine and reports which protection layers jails get.")
final class DoctorCommand extends JailCommand {
  private final List<String> problems = new ArrayList<>();

  @Override
  int doCall() {
    List<HostReport.Check> checks;
    try {
      checks = HostReport.checks();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new JailException("interrupted");
    }
    for (HostReport.Check c : checks) {
      line(c.name(), c.detail(), c.status());
    }
    line("config", describeConfig(), HostReport.Status.OK);
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
      String net =
          switch (c.effectiveNetwork()) {
            case PROXY ->
                "network proxy (" + c.allowlist().entries().size() + " allowed destinations)";
            case HOST -> "network host (shares the host's network: its loopback is reachable)";
            case NONE -> "network none (loopback only)";
          };
      if (c.effectiveNetwork() == dev.robojail.jail.Config.NetworkMode.HOST) {
        line(
            "network",
            "network = \"host\": jails reach every service on the host's loopback",
            HostReport.Status.WARN);
      }
      return net
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

  private void line(String what, String value, HostReport.Status status) {
    String shown =
        switch (status) {
          case OK -> "ok";
          case WARN -> "warn";
          case FAIL -> "FAIL";
        };
    out().printf("%-16s %-4s %s%n", what, shown, value);
    if (status == HostReport.Status.FAIL) {
      problems.add(what + ": " + value);
    }
  }
}
