package dev.robojail.sandbox;

/**
 * Started in a JVM of its own by {@link SandboxTest}: starts a sandbox that would run for a long
 * time, prints its pid, and waits to be killed.
 */
public final class DieWithParentMain {
  private DieWithParentMain() {}

  public static void main(String[] args) throws Exception {
    SandboxProcess p =
        Sandbox.builder()
            .minimalSystem()
            .command("/bin/sh", "-c", "sleep 1000 & sleep 1000 & wait")
            .start();
    System.out.println(p.pid());
    System.out.flush();
    Thread.sleep(600_000);
  }
}
