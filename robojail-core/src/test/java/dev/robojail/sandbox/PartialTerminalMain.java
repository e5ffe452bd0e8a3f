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
    long rdev = (Long) Files.getAttribute(Path.of("/proc/self/fd/0"), "unix:rdev");
    long major = (rdev >> 8) & 0xfff;
    long minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
    System.err.println("host0=" + Long.toHexString(major) + ":" + Long.toHexString(minor));
    String script =
        "{ stat -L -c jail0=%t:%T /proc/self/fd/0; exec 3</dev/tty && echo dev-tty-opens;"
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
