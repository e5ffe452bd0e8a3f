package dev.robojail.examples;

import dev.robojail.sandbox.Sandbox;
import dev.robojail.sandbox.SandboxProcess;
import dev.robojail.sandbox.Stdio;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Embedding robojail: runs {@code git log} on a repository inside a sandbox where the repository is
 * read-only, the rest of the system is read-only or absent, there is no network, and the command
 * sees only its own processes.
 *
 * <p>Usage: {@code SandboxExample [repository]} (default: the current directory).
 */
public final class SandboxExample {
  private SandboxExample() {}

  public static void main(String[] args) throws Exception {
    Path repo = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
    SandboxProcess p =
        Sandbox.builder()
            .minimalSystem()
            .readOnlyBind(repo, "/repo")
            .workingDirectory("/repo")
            .hostname("example")
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", "/tmp")
            .command(
                "/bin/sh",
                "-c",
                "echo \"in $(hostname) as uid $(id -u), pid $$, $(ls /proc | grep -c '^[0-9]')"
                    + " processes visible\"; git -c safe.directory='*' log --oneline -3;"
                    + " touch /repo/x 2>&1 | sed 's/^/refused: /'")
            .stdout(Stdio.pipe())
            .redirectErrorStream(true)
            .start();
    System.out.print(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    System.out.println("exit status " + p.waitFor());
  }
}
