package dev.robojail.ffm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** robojail-init: the bytes match their source, and they make a sane static ELF executable. */
class InitAssemblyTest {
  private static final Path SOURCE = Path.of("src/main/java/dev/robojail/ffm/init-x86_64.s");

  @Test
  void bytesMatchTheAssemblySource(@TempDir Path dir) throws Exception {
    assumeTrue(Files.exists(SOURCE), "the test runs from the robojail-ffm module directory");
    Binutils.require();
    Path obj = dir.resolve("init.o");
    Path bin = dir.resolve("init");
    run("as", "--64", "-o", obj.toString(), SOURCE.toString());
    run("objcopy", "-O", "binary", "-j", ".text", obj.toString(), bin.toString());
    assertEquals(HexFormat.of().formatHex(Files.readAllBytes(bin)), X86_64Init.HEX);
  }

  @Test
  void theElfHeaderDescribesOneStaticReadExecuteSegment() {
    byte[] elf = X86_64Init.elf();
    ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(0x464c457f, b.getInt(0), "ELF magic");
    assertEquals(2, b.get(4), "ELFCLASS64");
    assertEquals(1, b.get(5), "little endian");
    assertEquals(2, b.getShort(16), "ET_EXEC");
    assertEquals(62, b.getShort(18), "EM_X86_64");
    assertEquals(64, b.getShort(52), "e_ehsize");
    assertEquals(56, b.getShort(54), "e_phentsize");
    int phnum = b.getShort(56);
    assertEquals(2, phnum);
    long phoff = b.getLong(32);
    assertEquals(64, phoff);
    long entry = b.getLong(24);
    // PT_LOAD: the whole file, read + execute, never writable
    int load = (int) phoff;
    assertEquals(1, b.getInt(load));
    assertEquals(5, b.getInt(load + 4), "PF_R|PF_X");
    assertEquals(0, b.getLong(load + 8), "p_offset");
    long vaddr = b.getLong(load + 16);
    assertEquals(0, vaddr % 4096);
    assertEquals(elf.length, b.getLong(load + 32), "p_filesz");
    assertEquals(elf.length, b.getLong(load + 40), "p_memsz");
    assertTrue(entry > vaddr + 64 + 56L * phnum && entry < vaddr + elf.length, "entry inside");
    // PT_GNU_STACK: a stack that is not executable
    int stack = load + 56;
    assertEquals(0x6474e551, b.getInt(stack));
    assertEquals(6, b.getInt(stack + 4), "PF_R|PF_W");
    assertTrue(elf.length < 4096, "one page");
  }

  @Test
  void theMemfdIsSealedAndHoldsTheElf() throws Exception {
    assumeTrue(InitBinary.elf() != null, "no init for this architecture");
    int fd = InitBinary.fd();
    assumeTrue(fd >= 0, "init unavailable: " + InitBinary.unavailable());
    assertTrue(fd >= 3);
    assertEquals(InitBinary.SEALS, InitBinary.seals(fd) & InitBinary.SEALS);
    assertEquals(fd, InitBinary.fd(), "made once per JVM");
    Path self = Path.of("/proc/self/fd/" + fd);
    assertTrue(Files.readSymbolicLink(self).toString().startsWith("/memfd:robojail-init"));
    assertEquals(X86_64Init.HEX, HexFormat.of().formatHex(Files.readAllBytes(self)));
    assertTrue(
        assertThrowsIo(() -> Files.write(self, new byte[] {1})), "a sealed memfd refuses writes");
  }

  @Test
  void theInitRunsTheFirstCandidateThatExistsAndPassesItsStatusOn(@TempDir Path dir)
      throws Exception {
    assumeTrue(InitBinary.elf() != null, "no init for this architecture");
    Path init = dir.resolve("robojail-init");
    Files.write(init, InitBinary.elf());
    assertTrue(init.toFile().setExecutable(true));
    Process p =
        new ProcessBuilder(
                init.toString(), "/no/such/sh", "/bin/sh", "--", "sh", "-c", "echo $0; exit 3")
            .redirectErrorStream(true)
            .start();
    assertEquals("sh\n", new String(p.getInputStream().readAllBytes()));
    assertEquals(3, p.waitFor());
    assertEquals(127, new ProcessBuilder(init.toString(), "/no/such", "--", "x").start().waitFor());
    assertEquals(127, new ProcessBuilder(init.toString(), "/bin/sh").start().waitFor());
    // SIGTERM to the init reaches the command: one that traps it ends with its own status, where
    // an init that died of the signal, or ended on its behalf, would report 143.
    Process trapper =
        new ProcessBuilder(
                init.toString(),
                "/bin/sh",
                "--",
                "sh",
                "-c",
                "trap 'exit 42' TERM; echo trapped; while :; do sleep 0.05; done")
            .start();
    try {
      assertEquals("trapped", trapper.inputReader().readLine());
      assertEquals(
          0, new ProcessBuilder("kill", "-TERM", Long.toString(trapper.pid())).start().waitFor());
      assertTrue(trapper.waitFor(10, TimeUnit.SECONDS), "SIGTERM did not end the init");
      assertEquals(42, trapper.exitValue());
    } finally {
      trapper.destroyForcibly();
    }
  }

  private static boolean assertThrowsIo(IoAction a) {
    try {
      a.run();
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  private interface IoAction {
    void run() throws IOException;
  }

  private static void run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
  }
}
