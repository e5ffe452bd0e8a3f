package dev.robojail.examples;

import dev.robojail.jail.DestroyResult;
import dev.robojail.jail.FileChange;
import dev.robojail.jail.JailState;
import dev.robojail.jail.JailStatus;
import dev.robojail.jail.Jails;
import java.nio.file.Path;
import java.util.List;

/**
 * Embedding robojail: makes a jail of a repository, runs a command in it that adds a file, prints
 * what the jail changed, and destroys the jail, whatever happened.
 *
 * <p>Usage: {@code JailExample [repository]} (default: the current directory). The repository needs
 * at least one commit; the jail lives in the user's robojail directories ({@code
 * $XDG_DATA_HOME/robojail}) under a name of its own, and is gone when the program ends.
 */
public final class JailExample {
  private JailExample() {}

  public static void main(String[] args) {
    Path repo = Path.of(args.length > 0 ? args[0] : ".");
    Jails jails = Jails.open();
    String name = "example-" + ProcessHandle.current().pid();
    JailState jail = jails.create(name, repo);
    try {
      System.out.println("created jail " + name + " at " + jail.worktree());
      int exit = jails.run(name, List.of("/bin/sh", "-c", "echo hello > HELLO.txt"));
      System.out.println("command exited with " + exit);

      JailStatus status = jails.status(name);
      System.out.printf(
          "%d added, %d modified, %d deleted, %d renamed; +%d -%d lines; uncommitted: %b%n",
          status.added(),
          status.modified(),
          status.deleted(),
          status.renamed(),
          status.insertions(),
          status.deletions(),
          status.uncommittedChanges());
      for (FileChange change : status.changes()) {
        System.out.println("  " + change.kind() + " " + change.path());
      }
    } finally {
      DestroyResult destroyed = jails.destroyJail(name, true);
      System.out.println("destroyed jail " + name + "; its branch: " + destroyed.outcome());
    }
  }
}
