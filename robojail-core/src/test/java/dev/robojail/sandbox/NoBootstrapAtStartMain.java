package dev.robojail.sandbox;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Started by {@link NoBootstrapAtStartTest} in a JVM that traces what it links: {@code start}
 * starts a sandbox through the library as an embedding tool would, with every kind of stream the
 * parent opens and the mounts a jail has (the minimal system, a file of its own over the host's
 * {@code /etc}, a read-write directory and file); {@code control} does, from robojail's package,
 * what the test must catch. What it finds goes into the directory's {@code result}: its standard
 * output is the JVM's trace.
 */
public final class NoBootstrapAtStartMain {
  private NoBootstrapAtStartMain() {}

  record Key(String name) {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[1]);
    if (args[0].equals("control")) {
      Object o = new Key(dir.toString());
      String kind =
          switch (o) {
            case Key k -> "key " + k.hashCode();
            default -> "other";
          };
      // and a segment's set through a var handle, which robojail's own code never makes
      java.lang.foreign.MemorySegment.ofArray(new int[1])
          .set(java.lang.foreign.ValueLayout.JAVA_INT, 0, 1);
      Files.writeString(dir.resolve("result"), kind.startsWith("key ") ? "control" : kind);
      return;
    }
    Path input = Files.writeString(dir.resolve("input"), "to read\n");
    Path note = Files.writeString(dir.resolve("note"), "");
    SandboxProcess p =
        Sandbox.builder()
            .minimalSystem()
            .etcFile("passwd", "root:x:0:0::/:/bin/sh\n", 0644)
            .bind(dir, "/work")
            .bind(note, "/note")
            .workingDirectory("/work")
            .command("/bin/sh", "-c", "read line; echo \"$line\" > /note; echo written")
            .stdin(Stdio.file(input))
            .stdout(Stdio.pipe())
            .stderr(Stdio.discard())
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("result"), out + "exit " + p.waitFor());
  }
}
