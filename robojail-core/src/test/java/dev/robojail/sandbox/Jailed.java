package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;

/** What the hardening tests share: a skip where user namespaces are refused, a base, a shell. */
final class Jailed {
  private Jailed() {}

  /** Skips the calling test class, with the kernel's reason, where no sandbox can start. */
  static void needUserNamespaces() {
    try {
      Sandbox.builder().minimalSystem().command("/bin/true").start().waitFor();
    } catch (SandboxException.NamespacesUnavailable e) {
      assumeTrue(false, e.getMessage());
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

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

  /** Runs a shell script that must succeed; returns its output. */
  static String sh(Sandbox.Builder b, String script) throws Exception {
    String result = run(b, script);
    assertEquals("0 ", result.substring(0, Math.min(2, result.length())), result);
    return result.substring(2);
  }
}
