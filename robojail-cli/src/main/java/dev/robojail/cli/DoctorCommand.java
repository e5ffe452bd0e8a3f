package dev.robojail.cli;

import dev.robojail.jail.Config;
import dev.robojail.jail.Git;
import dev.robojail.jail.JailException;
import dev.robojail.jail.JailState;
import dev.robojail.sandbox.HostReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

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

  @Option(
      names = "--repair",
      description =
          "Rebuilds a lost or corrupt state file from the jails on disk, finishes or undoes"
              + " interrupted creates and destroys, and reports what it did.")
  boolean repair;

  @Override
  int doCall() {
    if (repair) {
      for (String line : jails().repair()) {
        out().println(line);
      }
      return Errors.OK;
    }
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
    Optional<String> git = new Git().version();
    line(
        "git",
        git.orElse("git not found on PATH: robojail needs it"),
        git.isPresent() ? HostReport.Status.OK : HostReport.Status.FAIL);
    try {
      line("config", describeConfig(), HostReport.Status.OK);
    } catch (JailException e) {
      line("config", e.getMessage(), HostReport.Status.FAIL);
    }
    describeState();
    out().flush();
    if (!problems.isEmpty()) {
      err().println("robojail: doctor found problems: " + String.join("; ", problems));
      return Errors.INTERNAL;
    }
    return Errors.OK;
  }

  private String describeConfig() {
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
    if (!c.hostPorts().isEmpty()) {
      net += ", host ports " + c.hostPorts() + " at host.robojail.internal";
    }
    return net
        + ", "
        + c.hiddenPaths().size()
        + " hidden paths, "
        + (c.extraRoBinds().size() + c.extraRwBinds().size())
        + " extra binds";
  }

  private void describeState() {
    try {
      List<JailState> all = jails().list();
      int n = all.size();
      line("state", n + (n == 1 ? " jail" : " jails"), HostReport.Status.OK);
      // A jail's own --network host is as worth a warning as the configuration's.
      for (JailState j : all) {
        if (j.network().mode() == Config.NetworkMode.HOST) {
          line(
              "network",
              "jail "
                  + j.name()
                  + " has network \"host\": it reaches every service on the host's loopback",
              HostReport.Status.WARN);
        }
      }
    } catch (JailException e) {
      line("state", e.getMessage(), HostReport.Status.FAIL);
    }
  }

  private void line(String what, String value, HostReport.Status status) {
    String shown =
        switch (status) {
          case OK -> "ok";
          case WARN -> "warn";
          case FAIL -> "FAIL";
          case INFO -> "info";
        };
    out().printf("%-16s %-4s %s%n", what, shown, value);
    if (status == HostReport.Status.FAIL) {
      problems.add(what + ": " + value);
    }
  }
}
