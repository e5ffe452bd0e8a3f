package dev.robojail.cli;

import dev.robojail.jail.JailState;
import dev.robojail.jail.Jails;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * The training runs of the distribution's AOT caches: the build runs this under {@code
 * -XX:AOTCacheOutput} in a scratch HOME, once per cache, so that each cache holds the classes its
 * commands load (JEP 483/514/515). A JDK 25 cache is made from one training JVM, and every class it
 * holds is loaded at each start whether the command needs it or not (a cache of every command cost
 * {@code list} about 18 ms of CPU before {@code main} against one of its own), so the hot commands
 * get caches of their own ({@link #HOT}) and {@code all} covers the rest.
 */
final class AotTraining {
  private AotTraining() {}

  /**
   * The caches of their own, by training mix; the launcher picks one by the command's name ({@code
   * forward} shares {@code exec}'s: both join a running jail).
   */
  static final List<String> HOT = List.of("list", "run", "exec", "status");

  // The jail every hot mix works on; the build makes it before and destroys it after, in JVMs of
  // their own, so that create's and destroy's classes stay out of the hot caches.
  static final String JAIL = "aot-training";

  private static final String STOP = ".aot-training-done";

  /**
   * {@code args[0]}: a git repository with one commit; {@code args[1]}: {@code all}, or one of
   * {@link #HOT} (jail {@link #JAIL} must exist, stopped).
   */
  public static void main(String[] args) throws Exception {
    String repo = args[0];
    String mix = args.length > 1 ? args[1] : "all";
    int failed =
        switch (mix) {
          case "all" -> all(repo);
          case "list" -> listMix();
          case "run" ->
              run(
                  List.of(
                      List.of("run", JAIL, "--", "true"),
                      List.of("run", JAIL, "true"),
                      List.of("run", JAIL, "--", "/bin/sh", "-c", "echo hello > HELLO.txt"),
                      List.of("run", JAIL, "no-such-command")));
          case "exec" -> whileRunning(JAIL, List.of(List.of("exec", JAIL, "--", "true")), true);
          case "status" -> run(List.of(List.of("status", JAIL), List.of("status", JAIL, "--diff")));
          default -> throw new IllegalArgumentException("no such training mix: " + mix);
        };
    // A cache trained without a jail is still a cache (list, status, help): the build goes on,
    // and the log says which commands did not run.
    System.out.println("aot-training " + mix + ": " + failed + " command(s) failed");
    // Every command ends in System.exit, whose logging of the exit loads some sixty classes of
    // the JDK's System.Logger; ending the same way puts them in the cache.
    System.exit(0);
  }

  // list reads a running jail's sessions too (their supervisor records, checked against /proc),
  // a path of its own: the session runs in a JVM of its own, so that run's classes stay out of
  // list's cache.
  private static int listMix() throws Exception {
    List<List<String>> lists = List.of(List.of("list"), List.of("list", "-q"));
    int failed = run(lists);
    String java = ProcessHandle.current().info().command().orElse(null);
    if (java == null) {
      System.out.println("aot-training: no path to this JVM; list trained on a stopped jail only");
      return failed;
    }
    Process session =
        new ProcessBuilder(
                java,
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "run",
                JAIL,
                "--",
                "/bin/sh",
                "-c",
                waits())
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    JailState state = awaitRunning(JAIL, () -> !session.isAlive());
    if (state == null) {
      System.out.println("aot-training: jail " + JAIL + " did not start");
      return failed + 1;
    }
    failed += run(lists);
    Files.writeString(state.worktree().resolve(STOP), "");
    if (session.waitFor() != 0) {
      failed++;
    }
    Files.delete(state.worktree().resolve(STOP));
    return failed;
  }

  // The command a session runs to wait for the file the training writes when it is done.
  private static String waits() {
    return "i=0; while [ ! -e " + STOP + " ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done";
  }

  // Every command, for the cache of those without one of their own (and as the fallback).
  private static int all(String repo) throws Exception {
    String jail = "aot-all";
    int failed =
        run(
            List.of(
                List.of("--version"),
                List.of("--help"),
                List.of("list", "--help"),
                List.of("list"),
                List.of("list", "--json"),
                List.of("list", "-q"),
                List.of("help", "run"),
                List.of("completion", "bash"),
                List.of("create", "--name", jail, "--repo", repo),
                List.of("list"),
                List.of("run", jail, "--", "true"),
                List.of("run", jail, "--", "/bin/sh", "-c", "echo hello > HELLO.txt"),
                List.of("status", jail),
                List.of("status", jail, "--json"),
                List.of("status", jail, "--diff"),
                List.of("run", "no-such-jail", "--", "true"),
                List.of("status", "no-such-jail"),
                List.of("no-such-command")));
    failed += whileRunning(jail, List.of(List.of("exec", jail, "--", "true")), true);
    return failed + run(List.of(List.of("destroy", jail, "--force")));
  }

  /**
   * Runs {@code commands} (and, with {@code forward}, a {@code forward} that one connection goes
   * through) beside a session of {@code jail} that sleeps, then ends that session.
   */
  private static int whileRunning(String jail, List<List<String>> commands, boolean forward)
      throws Exception {
    CompletableFuture<Integer> session =
        CompletableFuture.supplyAsync(
            () -> execute(List.of("run", jail, "--", "/bin/sh", "-c", waits())));
    JailState state = awaitRunning(jail, session::isDone);
    if (state == null) {
      System.out.println("aot-training: jail " + jail + " did not start");
      return commands.size() + 1;
    }
    int failed = run(commands);
    CompletableFuture<Integer> forwarded = forward ? forwardOnce(jail) : null;
    Files.writeString(state.worktree().resolve(STOP), "");
    session.get();
    Files.delete(state.worktree().resolve(STOP));
    if (forwarded != null && forwarded.get() != 0) {
      failed++;
    }
    return failed;
  }

  // A forward that one connection goes through; it ends with the jail.
  private static CompletableFuture<Integer> forwardOnce(String jail)
      throws IOException, InterruptedException {
    int port;
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    CompletableFuture<Integer> fwd =
        CompletableFuture.supplyAsync(() -> execute(List.of("forward", jail, "" + port)));
    // Nothing listens inside: the connection is refused there, which is a path too.
    for (int i = 0; i < 100 && !fwd.isDone(); i++) {
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
        s.getInputStream().read();
        break;
      } catch (IOException e) {
        Thread.sleep(50);
      }
    }
    return fwd;
  }

  private static JailState awaitRunning(String jail, BooleanSupplier ended)
      throws InterruptedException {
    Jails jails = Jails.open();
    for (int i = 0; i < 200 && !ended.getAsBoolean(); i++) {
      JailState state = jails.get(jail);
      if (state.isAlive()) {
        return state;
      }
      Thread.sleep(50);
    }
    return null;
  }

  private static int run(List<List<String>> commands) {
    int failed = 0;
    for (List<String> command : commands) {
      int rc = execute(command);
      boolean expected = command.contains("no-such-jail") || command.contains("no-such-command");
      if (rc != 0 && !expected) {
        failed++;
      }
    }
    return failed;
  }

  private static int execute(List<String> command) {
    String[] argv = command.toArray(String[]::new);
    PrintWriter quiet = new PrintWriter(new PrintStream(OutputStream.nullOutputStream()));
    int rc = Main.execute(argv, quiet, quiet);
    System.out.println("aot-training: robojail " + String.join(" ", command) + " -> " + rc);
    return rc;
  }
}
