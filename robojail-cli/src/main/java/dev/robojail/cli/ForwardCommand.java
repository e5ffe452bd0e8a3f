package dev.robojail.cli;

import dev.robojail.jail.InvalidInputException;
import dev.robojail.jail.JailException;
import dev.robojail.jail.TerminalSafe;
import dev.robojail.net.PortForward;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
    name = "forward",
    mixinStandardHelpOptions = true,
    description = {
      "Opens a port of a running jail on the host's 127.0.0.1: forward JAIL PORT[:JAILPORT]",
      "A browser on the host then reaches a dev server or a login callback inside (Codex's login"
          + " listens on 1455). Runs until the jail ends or Ctrl-C."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  robojail forward fix-tests 8080          # http://127.0.0.1:8080 on the host",
      "  robojail forward fix-tests 9000:3000     # the host's 9000 to the jail's 3000"
    })
final class ForwardCommand extends JailCommand {
  @Parameters(index = "0", paramLabel = "JAIL", description = "The running jail.")
  String name;

  @Parameters(
      index = "1",
      paramLabel = "PORT[:JAILPORT]",
      description = "The host's port, and the jail's if it differs.")
  String ports;

  @Override
  int doCall() {
    int[] p = parse(ports);
    try (PortForward forward = jails().forward(name, p[0], p[1])) {
      forward.onNote(
          note -> {
            err().println("robojail: " + TerminalSafe.sanitizeLine(note));
            err().flush();
          });
      err()
          .println(
              "robojail: forwarding 127.0.0.1:"
                  + forward.hostPort()
                  + " to port "
                  + p[1]
                  + " of jail "
                  + name
                  + "; Ctrl-C stops");
      err().flush();
      forward.awaitEnd();
      err().println("robojail: jail " + name + " ended; forwarding stopped");
      return Errors.OK;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new JailException("interrupted while forwarding", e);
    }
  }

  /** {host, jail} from {@code PORT} or {@code PORT:JAILPORT}. */
  static int[] parse(String ports) {
    String[] f = ports.split(":", -1);
    if (f.length > 2) {
      throw new InvalidInputException("not PORT or PORT:JAILPORT: " + ports);
    }
    int host = port(f[0], ports);
    return new int[] {host, f.length == 2 ? port(f[1], ports) : host};
  }

  private static int port(String s, String all) {
    try {
      int p = Integer.parseInt(s);
      if (p >= 1 && p <= 65535) {
        return p;
      }
    } catch (NumberFormatException e) {
      // said below
    }
    throw new InvalidInputException(
        s.equals(all) ? "not a port (1-65535): " + s : "not a port (1-65535) in " + all + ": " + s);
  }
}
