package dev.robojail.sandbox;

/**
 * Started by {@link TerminalRelayTest} on a terminal of the test's making: runs an interactive
 * shell in a sandbox with a terminal of its own, relayed, and exits with the shell's status.
 */
public final class TerminalRelayMain {
  private TerminalRelayMain() {}

  public static void main(String[] args) throws Exception {
    int status;
    dev.robojail.ffm.Termios before = dev.robojail.ffm.Termios.get(0);
    try (TerminalRelay relay = TerminalRelay.open()) {
      SandboxProcess p =
          relay
              .attach(
                  Sandbox.builder()
                      .minimalSystem()
                      .env("PATH", "/usr/bin:/bin")
                      .env("TERM", "dumb")
                      .env("PS1", "jail$ ")
                      .command("/bin/bash", "--norc", "--noprofile", "-i"))
              .start();
      status = relay.relay(p);
    }
    boolean restored = dev.robojail.ffm.Termios.get(0).equals(before);
    System.out.println("[relay exit " + status + (restored ? ", modes restored]" : "]"));
    System.exit(status);
  }
}
