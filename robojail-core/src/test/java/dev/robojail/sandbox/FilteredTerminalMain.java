package dev.robojail.sandbox;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Started by {@link TerminalFilterInTmuxTest} in a tmux pane: runs a command in a sandbox with a
 * terminal of its own, relayed through the output filter, with a private home; {@code --ro DIR}
 * binds a directory read-only at its own path first (an agent's npm prefix). Prints the exit status
 * when the relay is over, then waits to be killed with the tmux server.
 */
public final class FilteredTerminalMain {
  private FilteredTerminalMain() {}

  public static void main(String[] args) throws Exception {
    Sandbox.Builder b =
        Sandbox.builder()
            .minimalSystem()
            .tmpfs("/home/jail")
            .env("HOME", "/home/jail")
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("TERM", System.getenv().getOrDefault("TERM", "xterm-256color"))
            .env("LANG", "C.UTF-8")
            .workingDirectory("/home/jail");
    int first = 0;
    while (first + 1 < args.length && args[first].equals("--ro")) {
      b.readOnlyBind(Path.of(args[first + 1]));
      first += 2;
    }
    int status;
    try (TerminalRelay relay = TerminalRelay.open()) {
      SandboxProcess p =
          relay.attach(b.command(Arrays.copyOfRange(args, first, args.length))).start();
      status = relay.relay(p);
    }
    // The pane stays alive for the test to read its modes (a dead pane's are tmux's own), and in
    // raw mode, so that a Ctrl-C the test sent just as the jail ended does not end it.
    dev.robojail.ffm.Termios.get(0).raw().set(0);
    System.out.println("[filtered exit " + status + "]");
    System.out.flush();
    Thread.sleep(3_600_000);
  }
}
