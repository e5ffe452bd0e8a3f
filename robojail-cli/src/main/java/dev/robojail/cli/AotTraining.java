package dev.robojail.cli;

import dev.robojail.jail.Jails;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.List;

/**
 * The training run of the distribution's AOT cache: the build runs it once under {@code
 * -XX:AOTCacheOutput}, in a scratch HOME, so that the cache holds the classes every command loads
 * (JEP 483/514/515). One JVM, because a JDK 25 cache is made from one training run.
 */
final class AotTraining {
  private AotTraining() {}

  /** {@code args[0]}: a git repository with one commit, which the jail is made from. */
  public static void main(String[] args) {
    String repo = args[0];
    List<List<String>> commands =
        List.of(
            List.of("--version"),
            List.of("--help"),
            List.of("list", "--help"),
            List.of("list"),
            List.of("list", "--json"),
            List.of("list", "-q"),
            List.of("help", "run"),
            List.of("completion", "bash"),
            List.of("create", "--name", "aot-training", "--repo", repo),
            List.of("list"),
            List.of("list", "--json"),
            List.of("run", "aot-training", "--", "true"),
            List.of("run", "aot-training", "true"),
            List.of("run", "aot-training", "--", "/bin/sh", "-c", "echo hello > HELLO.txt"),
            List.of("status", "aot-training"),
            List.of("status", "aot-training", "--json"),
            List.of("status", "aot-training", "--diff"),
            List.of("run", "no-such-jail", "--", "true"),
            List.of("destroy", "aot-training", "--force"),
            List.of("status", "no-such-jail"),
            List.of("no-such-command"));
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    int failed = 0;
    for (List<String> command : commands) {
      String[] argv = command.toArray(String[]::new);
      var cl = Robojail.commandLine(Jails::open, argv);
      cl.setOut(new java.io.PrintWriter(quiet));
      cl.setErr(new java.io.PrintWriter(quiet));
      int rc = cl.execute(argv);
      System.out.println("aot-training: robojail " + String.join(" ", command) + " -> " + rc);
      if (rc != 0 && !command.contains("no-such-jail") && !command.contains("no-such-command")) {
        failed++;
      }
    }
    // A cache trained without a jail is still a cache (list, status, help): the build goes on,
    // and the log says which commands did not run.
    System.out.println("aot-training: " + failed + " command(s) failed");
  }
}
