package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SupervisorTest {
  @TempDir Path proc;

  private static String stat(long pid, String comm, char state, long start) {
    StringBuilder s = new StringBuilder(pid + " (" + comm + ") " + state);
    for (int field = 4; field <= 52; field++) {
      s.append(' ').append(field == 22 ? start : field);
    }
    return s.append('\n').toString();
  }

  private void fakeProcess(long pid, String comm, char state, long start, String bootId)
      throws IOException {
    Files.createDirectories(proc.resolve(Long.toString(pid)));
    Files.writeString(proc.resolve(pid + "/stat"), stat(pid, comm, state, start));
    Files.createDirectories(proc.resolve("sys/kernel/random"));
    Files.writeString(proc.resolve("sys/kernel/random/boot_id"), bootId + "\n");
  }

  @Test
  void thisJvmIsAlive() {
    Supervisor me = Supervisor.current();
    assertEquals(ProcessHandle.current().pid(), me.pid());
    assertTrue(me.isAlive());
  }

  @Test
  void commandNamesWithParenthesesAndSpacesAreParsed() throws IOException {
    fakeProcess(42, "evil) Z 1 (x", 'S', 123456, "boot-a");
    Supervisor s = Supervisor.of(proc, 42).orElseThrow();
    assertEquals(123456, s.startTime());
    assertEquals("boot-a", s.bootId());
    assertTrue(s.isAlive(proc));
  }

  @Test
  void reusedPidIsNotAlive() throws IOException {
    fakeProcess(42, "java", 'S', 999, "boot-a");
    assertFalse(new Supervisor(42, 123, "boot-a").isAlive(proc));
  }

  @Test
  void anotherBootIsNotAlive() throws IOException {
    fakeProcess(42, "java", 'S', 123, "boot-b");
    assertFalse(new Supervisor(42, 123, "boot-a").isAlive(proc));
  }

  @Test
  void goneOrZombieIsNotAlive() throws IOException {
    fakeProcess(42, "java", 'Z', 123, "boot-a");
    assertFalse(new Supervisor(42, 123, "boot-a").isAlive(proc));
    assertFalse(new Supervisor(43, 123, "boot-a").isAlive(proc));
  }

  @Test
  void exitedProcessIsNotAlive() throws Exception {
    // cat runs until its stdin closes: it is certainly there to be read, then certainly gone.
    Process p = new ProcessBuilder("cat").start();
    Supervisor s = Supervisor.of(p.pid()).orElseThrow();
    assertTrue(s.isAlive());
    p.getOutputStream().close();
    assertEquals(0, p.waitFor());
    assertFalse(s.isAlive());
  }
}
