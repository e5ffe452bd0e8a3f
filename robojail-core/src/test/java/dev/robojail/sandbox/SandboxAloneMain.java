package dev.robojail.sandbox;

import java.nio.charset.StandardCharsets;

/**
 * Started by {@link SandboxAloneTest} in a JVM whose class path holds robojail-ffm and
 * robojail-core only: runs a command in a sandbox with the default isolation, and says whether
 * Jackson or tomlj could be loaded at all.
 */
public final class SandboxAloneMain {
  private SandboxAloneMain() {}

  public static void main(String[] args) throws Exception {
    for (String name :
        new String[] {
          "tools.jackson.databind.ObjectMapper", "tools.jackson.core.JsonParser", "org.tomlj.Toml"
        }) {
      try {
        Class.forName(name);
        System.out.println("present: " + name);
      } catch (ClassNotFoundException e) {
        System.out.println("absent: " + name);
      }
    }
    SandboxProcess p =
        Sandbox.builder()
            .minimalSystem()
            .command("/bin/sh", "-c", "echo inside pid $$")
            .stdout(Stdio.pipe())
            .start();
    System.out.print(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    System.out.println("exit " + p.waitFor());
  }
}
