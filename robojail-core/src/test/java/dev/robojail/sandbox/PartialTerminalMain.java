package dev.robojail.sandbox;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Started by {@link TerminalRelayTest} on a terminal of the test's making, with its standard output
 * sent to a file: runs a command in a sandbox through {@link TerminalRelay}, which prints what the
 * command's descriptors and {@code /dev/tty} are, next to what the caller's terminal is.
 */
public final class PartialTerminalMain {
  private PartialTerminalMain() {}

  public static void main(String[] args) throws Exception {
    // A terminal is its devpts instance (st_dev) and its number there (st_rdev): the jail's own
    // devpts numbers its terminals from 0 as the host's does.
    Path fd0 = Path.of("/proc/self/fd/0");
    long dev = (Long) Files.getAttribute(fd0, "unix:dev");
    long rdev = (Long) Files.getAttribute(fd0, "unix:rdev");
    long major = (rdev >> 8) & 0xfff;
    long minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
    System.err.println(
        "host0=" + dev + ":" + Long.toHexString(major) + ":" + Long.toHexString(minor));
    String script =
        "{ stat -L -c jail0=%d:%t:%T /proc/self/fd/0; exec 3</dev/tty && echo dev-tty-opens;"
            + " echo jailtty=$(tty); echo jailps=$(ps -o tty= -p $$);"
            + " } >&2; test -t 1 || echo fd1-is-no-terminal >&2;"
            + " echo to-the-file";
    int status;
    try (TerminalRelay relay = TerminalRelay.open()) {
      SandboxProcess p =
          relay
              .attach(
                  Sandbox.builder()
                      .minimalSystem()
                      .env("PATH", "/usr/bin:/bin")
                      .command("/bin/sh", "-c", script))
              .start();
      status = relay.relay(p);
    }
    System.err.println("[partial exit " + status + "]");
    System.exit(status);
  }
}
