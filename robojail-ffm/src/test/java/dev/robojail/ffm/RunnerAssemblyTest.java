package dev.robojail.ffm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The bytes of the routines called through the downcall (X86_64Runner, X86_64Syscall, X86_64Batch)
 * are what GNU as makes of the commented sources beside them.
 */
class RunnerAssemblyTest {
  @ParameterizedTest
  @CsvSource({"runner-x86_64.s, runner", "syscall-x86_64.s, syscall", "batch-x86_64.s, batch"})
  void bytesMatchTheAssemblySource(String source, String routine, @TempDir Path dir)
      throws Exception {
    Path src = Path.of("src/main/java/dev/robojail/ffm", source);
    assumeTrue(Files.exists(src), "the test runs from the robojail-ffm module directory");
    Binutils.require();
    Path obj = dir.resolve(routine + ".o");
    Path bin = dir.resolve(routine + ".bin");
    run("as", "--64", "-o", obj.toString(), src.toString());
    run("objcopy", "-O", "binary", "-j", ".text", obj.toString(), bin.toString());
    String hex =
        switch (routine) {
          case "runner" -> X86_64Runner.HEX;
          case "batch" -> X86_64Batch.HEX;
          default -> X86_64Syscall.HEX;
        };
    assertEquals(HexFormat.of().formatHex(Files.readAllBytes(bin)), hex);
  }

  private static void run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
  }
}
