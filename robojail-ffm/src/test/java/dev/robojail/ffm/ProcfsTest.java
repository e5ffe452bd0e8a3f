package dev.robojail.ffm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The one sysctl reader. */
class ProcfsTest {
  @Test
  void readsASettingWithoutItsNewline() {
    assertEquals("Linux", Procfs.sysctl("kernel/ostype").orElseThrow());
    assertEquals("Linux", Procfs.sysctl("kernel.ostype").orElseThrow());
  }

  @Test
  void anIntegerSettingReadsWhole() throws IOException {
    String last = Procfs.sysctl("kernel/cap_last_cap").orElseThrow();
    assertTrue(Integer.parseInt(last) >= 36, last); // CAP_AUDIT_READ, Linux 3.16
    assertEquals(
        Files.readAllLines(Path.of("/proc/sys/kernel/cap_last_cap")).getFirst().strip(), last);
  }

  @Test
  void aMissingSettingIsEmpty() {
    assertTrue(Procfs.sysctl("kernel/no_such_setting_here").isEmpty());
  }

  @Test
  void onlyNamesUnderProcSysAreRead() {
    assertThrows(IllegalArgumentException.class, () -> Procfs.sysctl("/etc/passwd"));
    assertThrows(IllegalArgumentException.class, () -> Procfs.sysctl("kernel/../../etc/passwd"));
    assertThrows(IllegalArgumentException.class, () -> Procfs.sysctl(""));
  }

  @Test
  void initSaysWhyItIsMissingOrIsThere() {
    // reported as a value, never printed: the CLI's error output stays one line
    assertEquals(InitBinary.fd() < 0, InitBinary.unavailable().isPresent());
  }

  @Test
  void sysctlIfAnyTellsASettingThisKernelLacksFromOneItCannotRead() {
    assertEquals(
        Files.exists(Path.of("/proc/sys/kernel/cap_last_cap")),
        Procfs.sysctlIfAny("kernel/cap_last_cap").isPresent());
    assertTrue(Procfs.sysctlIfAny("kernel/no_such_setting_here").isEmpty());
    assertThrows(IllegalArgumentException.class, () -> Procfs.sysctlIfAny("../../etc/passwd"));
    SyscallException refused =
        assertThrows(
            SyscallException.class,
            () -> OutOfDescriptors.during(() -> Procfs.sysctlIfAny("kernel/cap_last_cap")));
    assertEquals(Errno.EMFILE, refused.errno());
    assertTrue(Procfs.sysctl("kernel/cap_last_cap").isPresent(), "readable again");
  }
}
