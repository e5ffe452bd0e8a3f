package dev.robojail.cli;

import dev.robojail.jail.Jails;
import dev.robojail.sandbox.ShutdownHooks;
import java.io.PrintWriter;

/** The {@code robojail} command. */
public final class Main {
  private static final String CONVERTER_EXCLUDES = "picocli.converters.excludes";
  private static final String NO_LINK_AHEAD = "robojail.noLinkAhead";

  private Main() {}

  public static void main(String[] args) {
    int status = execute(args, null, null);
    System.out.flush();
    System.err.flush();
    // System.exit would first look up the Runtime's logger, a service lookup through every jar on
    // the class path (~9 ms of CPU), only to find the exit unlogged. Halting skips the shutdown
    // hooks, so it is done only when none of robojail's has anything left to do; robojail
    // registers no other (no deleteOnExit, no console left without echo).
    if (ShutdownHooks.idle()) {
      Runtime.getRuntime().halt(status);
    }
    System.exit(status);
  }

  /**
   * The command line run as {@link #main} runs it, for the AOT training, which goes through here so
   * that this class and its lambda are in the caches rather than read from the jar and spun at each
   * start.
   */
  static int execute(String[] args, PrintWriter out, PrintWriter err) {
    // The commands that start or join a jail make native calls; the first one's linking (~15 ms)
    // runs beside picocli, the configuration and the state file on the second core, and so does
    // the host's part of a sandbox's start (the walk of /etc, the host's facts), which needs no
    // jail. The property turns it off, for bench/startup.sh's row without it.
    if (args.length > 0 && !Boolean.getBoolean(NO_LINK_AHEAD)) {
      switch (args[0]) {
        case "run", "enter" -> Jails.prepareSandboxAhead(false);
        case "exec" -> Jails.prepareSandboxAhead(true);
        case "forward" -> Jails.linkNativeAhead();
        default -> {}
      }
    }
    // picocli registers a converter for every java.time and java.sql type it knows, by reflection,
    // and the java.sql ones fail with an exception each (the runtime has no java.sql): about 3 ms
    // of every command. No option of robojail's has such a type.
    if (System.getProperty(CONVERTER_EXCLUDES) == null) {
      System.setProperty(CONVERTER_EXCLUDES, "java\\.(sql|time)\\..*");
    }
    return QuickModel.execute(Jails::open, args, out, err);
  }
}
