package dev.robojail.sandbox;

import dev.robojail.ffm.Kernel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Started by {@link HostAheadTest} in a fresh JVM, where every class is initialised for the first
 * time: {@code ahead D} starts the work ahead, then after {@code D} ms does what a {@code run}'s
 * main thread does (its first native call, a spec with the host's {@code /etc}, a sandbox started
 * and waited for); {@code behind D} starts that at once and the work ahead {@code D} ms later from
 * another thread, so that the two threads meet the classes they share in the other order; {@code
 * none D} starts no work ahead. With {@code spec-first}, the main thread first claims the walk and
 * waits for its covers, before any native call of its own (a builder would make one): prints
 * whether it got covers. Prints whether the spec's covers are a fresh walk's and the exit, or the
 * failure with its causes.
 */
final class HostAheadProbe {
  private HostAheadProbe() {}

  public static void main(String[] args) throws Exception {
    long delay = Long.parseLong(args[1]);
    Thread starter = null;
    if (args[0].equals("ahead")) {
      HostAhead.start(false);
      Thread.sleep(delay);
    } else if (args[0].equals("behind")) {
      starter =
          new Thread(
              () -> {
                try {
                  Thread.sleep(delay);
                } catch (InterruptedException e) {
                  return;
                }
                HostAhead.start(false);
              });
      starter.start();
    } else {
      Thread.sleep(delay);
    }
    try {
      run(args.length > 2 && args[2].equals("spec-first"));
    } catch (Throwable t) {
      for (Throwable c = t; c != null; c = c.getCause()) {
        System.out.println(c.getClass().getName() + ": " + c.getMessage());
      }
    }
    if (starter != null) {
      starter.join();
    }
  }

  private static void run(boolean specFirst) throws Exception {
    if (specFirst) {
      Path etc = Path.of("/etc");
      HostAhead.Work w = HostAhead.claimWalk(etc);
      boolean got = w != null && HostAhead.covers(w, etc.toRealPath(), "/etc") != null;
      System.out.println(got ? "walked ahead" : "nothing walked ahead");
    } else {
      boolean unused = Kernel.linux().isTerminal(0);
    }
    // With limits, so that the start also takes the cgroup's place found ahead, and the init.
    Sandbox spec =
        Sandbox.builder()
            .minimalSystem()
            .processes(64)
            .memory(256L << 20)
            .command("/bin/true")
            .build();
    int exit = spec.start().waitFor();
    List<Mount> covers = new ArrayList<>();
    for (Mount m : spec.mounts()) {
      if (m instanceof Mount.Cover) {
        covers.add(m);
      }
    }
    List<Mount.Cover> fresh = HostEtc.covers(Path.of("/etc").toRealPath(), "/etc");
    System.out.println(covers.equals(fresh) ? "covers: a fresh walk's" : "covers differ");
    System.out.println("exit " + exit);
  }
}
