package dev.robojail.ffm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * Whole structs, byte for byte, as the setup plan hands them to the kernel. The expected bytes are
 * what the plan carried before the structs got named layouts (commit 83b42ca built them with
 * ByteBuffers), for the same values: a layout that moves a field, or padding that is not zero,
 * shows here even where the field-offset checks of {@link LayoutTest} would still pass.
 */
class StructBytesTest {
  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  @Test
  void openHowForABindSource() {
    assertEquals(
        "000028000000000000000000000000000600000000000000",
        hex(
            OpenHow.bytes(
                Syscalls.O_PATH | Syscalls.O_CLOEXEC,
                OpenHow.RESOLVE_NO_SYMLINKS | OpenHow.RESOLVE_NO_MAGICLINKS)));
  }

  @Test
  void rlimitIsSoftThenHard() {
    assertEquals("00010000000000000001000000000000", hex(Rlimit.bytes(256, 256)));
    assertEquals("4d000000000000004d00000000000000", hex(Rlimit.bytes(77, 77)));
    assertEquals("00000000000000000000000000000000", hex(Rlimit.bytes(0, 0)));
  }

  @Test
  void ifreqBringingLoopbackUp() {
    assertEquals(
        "6c6f0000000000000000000000000000" + "0100" + "00".repeat(22),
        hex(IfReq.flags("lo", IfReq.IFF_UP)));
  }

  @Test
  void capabilityHeaderAndEmptySets() {
    assertEquals("2205082000000000", hex(Capabilities.header(Capabilities.VERSION_3, 0)));
    assertEquals("00".repeat(24), hex(Capabilities.emptyData()));
  }

  @Test
  void landlockRulesetAndPathBeneath() {
    // Landlock.writeAccess(7): what a jail's ruleset handles on this project's machines
    assertEquals(0x7ff2L, Landlock.writeAccess(7));
    assertEquals("f27f000000000000", hex(LandlockAttr.ruleset(Landlock.writeAccess(7))));
    assertEquals(
        "f27f0000000000000000000000000000", hex(LandlockAttr.pathBeneath(Landlock.writeAccess(7))));
  }

  @Test
  void mountAttrSetsOnly() {
    assertEquals(
        "01" + "00".repeat(31), hex(new MountAttr(MountAttr.MOUNT_ATTR_RDONLY, 0).bytes()));
    assertEquals(
        "02" + "00".repeat(31), hex(new MountAttr(MountAttr.MOUNT_ATTR_NOSUID, 0).bytes()));
    assertEquals(
        "03" + "00".repeat(31),
        hex(new MountAttr(MountAttr.MOUNT_ATTR_RDONLY | MountAttr.MOUNT_ATTR_NOSUID, 0).bytes()));
  }

  // cfmakeraw(3) on every bit set: the flags it clears, CS8, VMIN 1 and VTIME 0; nothing else.
  @Test
  void rawTerminalModesAsCfmakeraw() {
    byte[] all = new byte[60]; // what TCGETS fills, beyond the layout's 36
    java.util.Arrays.fill(all, (byte) 0xff);
    String raw =
        "14faffff" // c_iflag without IGNBRK BRKINT PARMRK ISTRIP INLCR IGNCR ICRNL IXON
            + "feffffff" // c_oflag without OPOST
            + "fffeffff" // c_cflag: CSIZE = CS8, PARENB off
            + "b47fffff" // c_lflag without ECHO ECHONL ICANON ISIG IEXTEN
            + "ff" // c_line
            + "ffffffffff00" // c_cc[0..5]: VTIME (5) 0
            + "01" // VMIN (6) 1
            + "ff".repeat(12 + 24);
    assertEquals(Termios.of(HexFormat.of().parseHex(raw)), Termios.of(all).raw());
  }
}
