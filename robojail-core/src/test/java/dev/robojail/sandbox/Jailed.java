package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** What the hardening tests share: a base and a shell. */
final class Jailed {
  private Jailed() {}

  static Sandbox.Builder base() {
    return Sandbox.builder().minimalSystem().env("PATH", "/usr/bin:/bin");
  }

  /** Runs a shell script; returns its exit status, a space, and its output (both streams). */
  static String run(Sandbox.Builder b, String script) throws Exception {
    SandboxProcess p =
        b.command("/bin/sh", "-c", script).stdout(Stdio.pipe()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return p.waitFor() + " " + out;
  }

  /**
   * Runs {@code command} as a session joining the running sandbox whose PID 1 is {@code pid}
   * ({@code pidfd} open on it), its input empty; returns its exit status, a space, and its output
   * (both streams). A session still running after a minute fails the test.
   */
  static String joined(Sandbox.Builder b, int pid, int pidfd, String... command) throws Exception {
    SandboxProcess p =
        b.command(command)
            .stdin(Stdio.discard())
            .stdout(Stdio.pipe())
            .redirectErrorStream(true)
            .build()
            .join(pid, pidfd);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
    return p.exitValue() + " " + out;
  }

  /** Runs a shell script that must succeed; returns its output. */
  static String sh(Sandbox.Builder b, String script) throws Exception {
    String result = run(b, script);
    assertEquals("0 ", result.substring(0, Math.min(2, result.length())), result);
    return result.substring(2);
  }

  /**
   * Runs one of this package's python test resources in the sandbox; it prints one line {@code NAME
   * ERRNO} per attempt. Returns the errno of each attempt, by name.
   */
  static java.util.Map<String, Integer> pythonErrnos(Sandbox.Builder b, String resource)
      throws Exception {
    return pythonErrnos(b, resource, Sandbox::start);
  }

  /** {@link #pythonErrnos(Sandbox.Builder, String)}, started by {@code start} (a join, say). */
  static java.util.Map<String, Integer> pythonErrnos(
      Sandbox.Builder b,
      String resource,
      java.util.function.Function<Sandbox, SandboxProcess> start)
      throws Exception {
    byte[] script;
    try (var in = Jailed.class.getResourceAsStream(resource)) {
      script = in.readAllBytes();
    }
    SandboxProcess p =
        start.apply(
            b.command("/usr/bin/python3", "-")
                .stdin(Stdio.pipe())
                .stdout(Stdio.pipe())
                .redirectErrorStream(true)
                .build());
    try (java.io.OutputStream in = p.getOutputStream()) {
      in.write(script);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    java.util.Map<String, Integer> errno = new java.util.HashMap<>();
    out.lines().forEach(l -> errno.put(l.split(" ")[0], Integer.parseInt(l.split(" ")[1].trim())));
    return errno;
  }
}
