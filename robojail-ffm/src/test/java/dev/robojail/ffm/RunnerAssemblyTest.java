package dev.robojail.ffm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bytes in X86_64Runner are what GNU as makes of the commented source beside them. */
class RunnerAssemblyTest {
  private static final Path SOURCE = Path.of("src/main/java/dev/robojail/ffm/runner-x86_64.s");

  @Test
  void bytesMatchTheAssemblySource(@TempDir Path dir) throws Exception {
    assumeTrue(Files.exists(SOURCE), "the test runs from the robojail-ffm module directory");
    Binutils.require();
    Path obj = dir.resolve("runner.o");
    Path bin = dir.resolve("runner.bin");
    run("as", "--64", "-o", obj.toString(), SOURCE.toString());
    run("objcopy", "-O", "binary", "-j", ".text", obj.toString(), bin.toString());
    assertEquals(HexFormat.of().formatHex(Files.readAllBytes(bin)), X86_64Runner.HEX);
  }

  private static void run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
  }
}
