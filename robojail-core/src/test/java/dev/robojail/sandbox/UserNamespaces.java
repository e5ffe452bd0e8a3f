package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** For tests that start sandboxes: skip, with the kernel's reason, where it refuses them. */
public final class UserNamespaces {
  private UserNamespaces() {}

  /** Starts one sandbox; aborts the calling test if the kernel refuses its namespaces. */
  public static void assumeAvailable() {
    try {
      Sandbox.builder().minimalSystem().command("/bin/true").start().waitFor();
    } catch (SandboxException.NamespacesUnavailable e) {
      assumeTrue(false, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
