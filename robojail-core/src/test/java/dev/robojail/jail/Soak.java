package dev.robojail.jail;

import dev.robojail.testkit.TestRepo;
import dev.robojail.testkit.TestWorld;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Soak: {@code THREADS} threads each run {@code CYCLES} create → run → status → destroy cycles on
 * jails of their own, plus a shared name that every thread tries to create and destroy, all in one
 * JVM and one data directory. Not a test (it takes minutes): {@code bench/soak.sh} runs it. It
 * reports failures, what was left behind (jail directories, scratch directories, state entries,
 * branches, file descriptors) and the time per cycle, and exits non-zero if anything leaked.
 */
public final class Soak {
  private Soak() {}

  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 4;
    int cycles = args.length > 1 ? Integer.parseInt(args[1]) : 100;
    Path tmp = Files.createTempDirectory("robojail-soak-");
    Path home = Files.createDirectories(tmp.resolve("home"));
    Dirs dirs = TestWorld.in(tmp).dirs();
    TestRepo repo = TestRepo.init(tmp.resolve("repo"));
    for (int i = 0; i < 500; i++) {
      repo.write("d" + (i % 10) + "/f" + i + ".txt", "file " + i + "\n");
    }
    repo.commit("initial");
    Jails jails = Jails.open(dirs, home);
    long fdsBefore = fds();
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger sharedCreated = new AtomicInteger();
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    long start = System.nanoTime();
    try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
      List<Future<?>> all = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        all.add(
            pool.submit(
                () -> {
                  for (int c = 0; c < cycles; c++) {
                    String name = "t" + thread + "-" + c;
                    try {
                      JailState j = jails.create(name, repo.dir);
                      Files.writeString(j.worktree().resolve("out.txt"), "x\n");
                      int status = jails.run(name, List.of("sh", "-c", "cat out.txt >/dev/null"));
                      if (status != 0) {
                        failures.add(name + ": run exited " + status);
                      }
                      if (!jails.status(name).uncommittedChanges()) {
                        failures.add(name + ": status missed out.txt");
                      }
                      jails.destroyJail(name, true);
                      ok.incrementAndGet();
                    } catch (Exception e) {
                      failures.add(name + ": " + e);
                    }
                    try {
                      jails.create("shared", repo.dir);
                      sharedCreated.incrementAndGet();
                    } catch (JailConflictException e) {
                      // another thread has it
                    }
                    try {
                      jails.destroyJail("shared", true);
                    } catch (JailConflictException e) {
                      // gone already, or being created or destroyed by another thread
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : all) {
        f.get();
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    try {
      jails.destroyJail("shared", true);
    } catch (JailConflictException e) {
      // not there
    }
    Path data = dirs.dataDir();
    List<String> leaks = new ArrayList<>();
    leaks.addAll(entries(data.resolve("jails")));
    leaks.addAll(entries(data.resolve("gitdirs")));
    leaks.addAll(entries(data.resolve("tmp")));
    leaks.addAll(entries(data.resolve("records")));
    jails.list().forEach(j -> leaks.add("state entry " + j.name()));
    String branches = repo.git("branch", "--list", "robojail/*").strip();
    if (!branches.isEmpty()) {
      leaks.add("branches: " + branches.replace('\n', ' '));
    }
    long fdsAfter = fds();
    System.out.printf(
        "soak: %d threads x %d cycles: %d ok, %d failed, shared name created %d times%n",
        threads, cycles, ok.get(), failures.size(), sharedCreated.get());
    System.out.printf(
        "soak: %.1f s, %.0f ms per cycle per thread, %.1f cycles/s; fds %d -> %d%n",
        seconds,
        seconds * 1000 * threads / (threads * (double) cycles),
        ok.get() / seconds,
        fdsBefore,
        fdsAfter);
    failures.stream().limit(20).forEach(f -> System.out.println("failure: " + f));
    leaks.forEach(l -> System.out.println("left behind: " + l));
    JailFiles.deleteTreeQuietly(tmp);
    System.exit(failures.isEmpty() && leaks.isEmpty() && fdsAfter <= fdsBefore + 16 ? 0 : 1);
  }

  private static List<String> entries(Path dir) throws Exception {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(Path::toString).toList();
    }
  }

  private static long fds() throws Exception {
    try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
      return s.count();
    }
  }
}
