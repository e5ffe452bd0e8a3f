package dev.robojail.bench;

import dev.robojail.sandbox.Sandbox;
import dev.robojail.sandbox.SandboxProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Starts many sandboxes one after the other while another thread churns garbage and forces
 * collections, and reports hangs, failures, descriptors and zombies left behind. Exits non-zero if
 * any. Usage: {@code SpawnStress [count]} (default 10000).
 */
public final class SpawnStress {
  private SpawnStress() {}

  public static void main(String[] args) throws Exception {
    int count = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    Sandbox s = Sandbox.builder().minimalSystem().command("/bin/true").build();
    s.start().waitFor();
    long fdsBefore = fds();
    AtomicBoolean stop = new AtomicBoolean();
    Thread churn =
        Thread.ofPlatform()
            .daemon()
            .start(
                () -> {
                  List<byte[]> keep = new ArrayList<>();
                  while (!stop.get()) {
                    keep.add(new byte[8192]);
                    if (keep.size() > 10_000) {
                      keep.clear();
                      System.gc();
                    }
                  }
                });
    int hangs = 0;
    int failures = 0;
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      try {
        SandboxProcess p = s.start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
          hangs++;
          p.destroy();
        } else if (p.exitValue() != 0) {
          failures++;
        }
      } catch (RuntimeException e) {
        failures++;
        System.err.println("spawn " + i + ": " + e);
      }
      if ((i + 1) % 1000 == 0) {
        System.out.printf("%d spawns, %d hangs, %d failures%n", i + 1, hangs, failures);
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    stop.set(true);
    churn.join();
    // Reaper threads close their pidfds right after publishing the exit: give them until a
    // deadline, so that only a real leak is counted.
    long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (fds() > fdsBefore && System.nanoTime() < settle) {
      Thread.sleep(5);
    }
    long leakedFds = fds() - fdsBefore;
    long zombies = zombies();
    System.out.printf(
        "stress: %d spawns in %.1f s under GC churn: %d hangs, %d failures, %d descriptors"
            + " leaked, %d zombies%n",
        count, seconds, hangs, failures, leakedFds, zombies);
    System.exit(hangs + failures + leakedFds + zombies == 0 ? 0 : 1);
  }

  private static long fds() throws IOException {
    try (var s = Files.list(Path.of("/proc/self/fd"))) {
      return s.count();
    }
  }

  private static long zombies() throws IOException {
    long self = ProcessHandle.current().pid();
    long n = 0;
    try (var procs = Files.list(Path.of("/proc"))) {
      for (Path d : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        try {
          String stat = Files.readString(d.resolve("stat"));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          if (f[0].equals("Z") && Long.parseLong(f[1]) == self) {
            n++;
          }
        } catch (IOException e) {
          // gone meanwhile
        }
      }
    }
    return n;
  }
}
