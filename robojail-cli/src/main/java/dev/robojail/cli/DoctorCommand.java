package dev.robojail.cli;

import dev.robojail.jail.Config;
import dev.robojail.jail.Dirs;
import dev.robojail.jail.Git;
import dev.robojail.jail.JailException;
import dev.robojail.jail.JailState;
import dev.robojail.sandbox.HostReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
    description = {
      "Checks this machine and reports which protection layers jails get, and whether git, the"
          + " configuration and the state file are usable.",
      "Each line is ok, info, warn (jails work, with less) or FAIL (exit code 4)."
    },
    footerHeading = "%nExamples:%n",
    footer = {"  robojail doctor", "  robojail doctor --repair"})
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
    line("robojail", Robojail.VERSION, HostReport.Status.INFO);
    line(
        "java",
        Runtime.version()
            + " ("
            + System.getProperty("java.vendor", "?")
            + ") at "
            + System.getProperty("java.home"),
        HostReport.Status.INFO);
    user();
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
    git();
    try {
      line("config", describeConfig(), HostReport.Status.OK);
      Dirs dirs = jails().dirs();
      line(
          "paths",
          "config "
              + dirs.configFile()
              + (Files.exists(dirs.configFile()) ? "" : " (absent: the defaults)")
              + ", state "
              + dirs.stateFile().getParent()
              + ", data "
              + dirs.dataDir(),
          HostReport.Status.INFO);
    } catch (dev.robojail.jail.ConfigException e) {
      line("config", e.getMessage(), HostReport.Status.FAIL);
      // Every other check needs the configuration: one FAIL for it, not one per check.
      line("paths", "config " + e.file() + " (invalid)", HostReport.Status.INFO);
      line("state", "not read until the configuration is fixed", HostReport.Status.INFO);
      out().flush();
      err().println("robojail: doctor found problems: " + String.join("; ", problems));
      return Errors.INTERNAL;
    } catch (JailException e) {
      line("config", e.getMessage(), HostReport.Status.FAIL);
    }
    // Started for real: a bind the kernel refuses (as a read-write file bind once was) fails here,
    // not at the user's every run.
    try {
      jails().checkBinds().ifPresent(problem -> line("binds", problem, HostReport.Status.FAIL));
    } catch (JailException e) {
      // an unreadable configuration: its line above says so
    }
    describeState();
    describeAgents();
    describeToolchains();
    describeCaches();
    out().flush();
    if (!problems.isEmpty()) {
      err().println("robojail: doctor found problems: " + String.join("; ", problems));
      return Errors.INTERNAL;
    }
    return Errors.OK;
  }

  // As root a jail's uid 0 is the host's root: without capabilities, but the owner of every
  // root-owned file it can reach read-write, and every file it makes is root's.
  private void user() {
    int uid;
    try {
      // /proc/self belongs to the process's own user
      uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    } catch (IOException e) {
      line("user", "cannot read /proc/self: " + e.getMessage(), HostReport.Status.WARN);
      return;
    }
    if (uid == 0) {
      line(
          "user",
          "running as root: a jail's processes are uid 0 inside and root's files are theirs"
              + " wherever a jail can write (the worktree, read-write binds), and what they create"
              + " is owned by root. Run robojail as your own user",
          HostReport.Status.WARN);
    } else {
      line("user", "uid " + uid + ", the same uid inside a jail", HostReport.Status.OK);
    }
  }

  /**
   * robojail turns off what a jail could make the host's git run through {@code GIT_CONFIG_COUNT}
   * (read from git 2.31) and {@code GIT_CONFIG_GLOBAL} (from 2.32); an older git ignores both.
   */
  private void git() {
    Optional<String> git = new Git().version();
    if (git.isEmpty()) {
      line("git", "git not found on PATH: robojail needs it", HostReport.Status.FAIL);
      return;
    }
    boolean recent = gitIsRecentEnough(git.get());
    line(
        "git",
        recent
            ? git.get()
            : git.get()
                + ": robojail needs git 2.32 or later, which reads the configuration robojail"
                + " gives it through the environment (GIT_CONFIG_GLOBAL, GIT_CONFIG_COUNT)",
        recent ? HostReport.Status.OK : HostReport.Status.FAIL);
  }

  static boolean gitIsRecentEnough(String version) {
    return Git.isRecentEnough(version);
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
      // A jail's own --network host, or its profile's, is as worth a warning as the
      // configuration's; a jail whose network differs from the configuration's is worth a line.
      Config.NetworkMode configured = jails().config().effectiveNetwork();
      for (JailState j : all) {
        var net = jails().network(j);
        if (net.mode() == Config.NetworkMode.HOST) {
          line(
              "network",
              "jail "
                  + j.name()
                  + " has network \"host\" (from "
                  + net.from()
                  + "): it reaches every service on the host's loopback",
              HostReport.Status.WARN);
        } else if (net.mode() != configured) {
          line(
              "network",
              "jail " + j.name() + ": " + CreateCommand.networkLine(net),
              HostReport.Status.INFO);
        }
      }
    } catch (JailException e) {
      line("state", e.getMessage(), HostReport.Status.FAIL);
    }
  }

  // A profile that sets its jails' network decides for every jail made with it.
  private void describeAgents() {
    try {
      var agents = jails().agents();
      for (String name : agents.names()) {
        var a = agents.require(name);
        if (a.network() == null && a.networkAllowDefaults() == null) {
          continue;
        }
        String what =
            (a.network() == null ? "" : "network " + a.network().key())
                + (a.networkAllowDefaults() == null
                    ? ""
                    : (a.network() == null ? "" : ", ")
                        + "default allowlist "
                        + (a.networkAllowDefaults() ? "on" : "off"));
        boolean host = a.network() == Config.NetworkMode.HOST;
        line(
            "network",
            "agent profile "
                + name
                + ": "
                + what
                + " ("
                + a.networkFrom()
                + ")"
                + (host ? ": its jails reach every service on the host's loopback" : ""),
            host ? HostReport.Status.WARN : HostReport.Status.INFO);
      }
    } catch (JailException e) {
      line("agents", e.getMessage(), HostReport.Status.FAIL);
    }
  }

  // Read-only and on PATH in every jail; a directory left out is worth a look, not a failure.
  private void describeToolchains() {
    try {
      var tools = jails().toolchains();
      if (tools.added().isEmpty()) {
        line("toolchains", "none found in the home", HostReport.Status.INFO);
      }
      tools.added().forEach(t -> line("toolchains", t, HostReport.Status.OK));
      tools.refused().forEach(t -> line("toolchains", t, HostReport.Status.WARN));
    } catch (dev.robojail.jail.ConfigException e) {
      // the config line has said it
    } catch (JailException e) {
      line("toolchains", e.getMessage(), HostReport.Status.FAIL);
    }
  }

  // Seeding is the user's choice; a kind that was asked for and cannot be had is worth a look.
  private void describeCaches() {
    try {
      for (String c : jails().caches()) {
        boolean refused = c.contains("not seeded");
        line("caches", c, refused ? HostReport.Status.WARN : HostReport.Status.INFO);
      }
    } catch (dev.robojail.jail.ConfigException e) {
      // the config line has said it
    } catch (JailException e) {
      line("caches", e.getMessage(), HostReport.Status.FAIL);
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
