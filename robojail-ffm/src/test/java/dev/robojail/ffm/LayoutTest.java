package dev.robojail.ffm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** The struct layouts match the kernel's UAPI headers (offsets from linux/sched.h and others). */
class LayoutTest {
  private static long offset(java.lang.foreign.StructLayout l, String field) {
    return l.byteOffset(PathElement.groupElement(field));
  }

  // Structs.offset adds up member sizes instead of asking the layout (whose LayoutPath costs a
  // start): for every named member of every struct it must say what byteOffset says.
  @Test
  void offsetsByMemberSizesAreTheLayoutsOwn() {
    StructLayout[] all = {
      Capabilities.HEADER,
      Capabilities.DATA,
      CloneArgs.LAYOUT,
      Dirent64.LAYOUT,
      IfReq.LAYOUT,
      LandlockAttr.RULESET,
      LandlockAttr.RULESET_SCOPED,
      LandlockAttr.PATH_BENEATH,
      MountAttr.LAYOUT,
      MsgHdr.LAYOUT,
      MsgHdr.IOVEC,
      MsgHdr.CMSGHDR,
      OpenHow.LAYOUT,
      PollFd.LAYOUT,
      Pty.WINSIZE,
      Rlimit.LAYOUT,
      SetupProgram.STEP,
      SetupProgram.SOCK_FPROG,
      SetupProgram.Header.LAYOUT,
      SigInfo.LAYOUT,
      SockAddrIn.LAYOUT,
      SockAddrIn.LAYOUT6,
      Stat.LAYOUT,
      Termios.LAYOUT
    };
    int named = 0;
    for (StructLayout l : all) {
      for (MemoryLayout m : l.memberLayouts()) {
        if (m.name().isPresent()) {
          String field = m.name().get();
          assertEquals(offset(l, field), Structs.offset(l, field), l + " " + field);
          named++;
        }
      }
      assertThrows(IllegalArgumentException.class, () -> Structs.offset(l, "no_such_member"));
    }
    assertTrue(named > 60, "members checked: " + named);
  }

  @Test
  void cloneArgsIsVersion2() {
    assertEquals(88, CloneArgs.LAYOUT.byteSize()); // CLONE_ARGS_SIZE_VER2
    assertEquals(0, offset(CloneArgs.LAYOUT, "flags"));
    assertEquals(8, offset(CloneArgs.LAYOUT, "pidfd"));
    assertEquals(32, offset(CloneArgs.LAYOUT, "exit_signal"));
    assertEquals(40, offset(CloneArgs.LAYOUT, "stack"));
    assertEquals(48, offset(CloneArgs.LAYOUT, "stack_size"));
    assertEquals(80, offset(CloneArgs.LAYOUT, "cgroup"));
  }

  @Test
  void sigInfoHasTheSigchldFieldsWhereTheKernelPutsThem() {
    assertEquals(128, SigInfo.LAYOUT.byteSize());
    assertEquals(8, offset(SigInfo.LAYOUT, "si_code"));
    assertEquals(16, offset(SigInfo.LAYOUT, "si_pid"));
    assertEquals(20, offset(SigInfo.LAYOUT, "si_uid"));
    assertEquals(24, offset(SigInfo.LAYOUT, "si_status"));
  }

  @Test
  void mountAttrIsMountAttrSize0() {
    assertEquals(32, MountAttr.LAYOUT.byteSize()); // MOUNT_ATTR_SIZE_VER0
    assertEquals(8, offset(MountAttr.LAYOUT, "attr_clr"));
    assertEquals(24, offset(MountAttr.LAYOUT, "userns_fd"));
  }

  @Test
  void openHowIsOpenHowSizeVer0() {
    assertEquals(24, OpenHow.LAYOUT.byteSize()); // OPEN_HOW_SIZE_VER0
    assertEquals(8, offset(OpenHow.LAYOUT, "mode"));
    assertEquals(16, offset(OpenHow.LAYOUT, "resolve"));
    byte[] how = OpenHow.bytes(Syscalls.O_PATH | Syscalls.O_CLOEXEC, OpenHow.RESOLVE_NO_SYMLINKS);
    ByteBuffer b = le(how);
    assertEquals(24, how.length);
    assertEquals(Syscalls.O_PATH | Syscalls.O_CLOEXEC, b.getLong(0));
    assertEquals(0, b.getLong(8));
    assertEquals(OpenHow.RESOLVE_NO_SYMLINKS, b.getLong(16));
  }

  @Test
  void rlimitIsTwoU64s() {
    assertEquals(16, Rlimit.LAYOUT.byteSize());
    assertEquals(8, offset(Rlimit.LAYOUT, "rlim_max"));
    ByteBuffer b = le(Rlimit.bytes(3, 7));
    assertEquals(3, b.getLong(0));
    assertEquals(7, b.getLong(8));
  }

  @Test
  void sockaddrInHasThePortAndAddressInNetworkOrder() {
    assertEquals(16, SockAddrIn.LAYOUT.byteSize()); // sizeof(struct sockaddr_in)
    assertEquals(2, offset(SockAddrIn.LAYOUT, "sin_port"));
    assertEquals(4, offset(SockAddrIn.LAYOUT, "sin_addr"));
    byte[] a = SockAddrIn.bytes(new byte[] {127, 0, 0, 1}, 3128);
    assertEquals(16, a.length);
    assertEquals(SockAddrIn.AF_INET, le(a).getShort(0));
    assertEquals(3128, ByteBuffer.wrap(a).order(ByteOrder.BIG_ENDIAN).getShort(2) & 0xffff);
    assertArrayEquals(new byte[] {127, 0, 0, 1}, java.util.Arrays.copyOfRange(a, 4, 8));
    assertThrows(IllegalArgumentException.class, () -> SockAddrIn.bytes(new byte[16], 1));
    assertThrows(IllegalArgumentException.class, () -> SockAddrIn.bytes(new byte[4], 65536));
  }

  @Test
  void sockaddrIn6HasThePortAndAddressWhereTheKernelReadsThem() {
    assertEquals(28, SockAddrIn.LAYOUT6.byteSize()); // sizeof(struct sockaddr_in6)
    assertEquals(2, offset(SockAddrIn.LAYOUT6, "sin6_port"));
    assertEquals(8, offset(SockAddrIn.LAYOUT6, "sin6_addr"));
    byte[] ip = new byte[16];
    ip[15] = 1; // ::1
    byte[] a = SockAddrIn.of(ip, 443);
    assertEquals(28, a.length);
    assertEquals(SockAddrIn.AF_INET6, le(a).getShort(0));
    assertEquals(443, ByteBuffer.wrap(a).order(ByteOrder.BIG_ENDIAN).getShort(2) & 0xffff);
    assertArrayEquals(ip, java.util.Arrays.copyOfRange(a, 8, 24));
    assertEquals(16, SockAddrIn.of(new byte[4], 1).length);
    assertThrows(IllegalArgumentException.class, () -> SockAddrIn.of(new byte[5], 1));
  }

  @Test
  void msghdrIovecAndCmsghdrAreTheKernels() {
    assertEquals(56, MsgHdr.LAYOUT.byteSize()); // sizeof(struct msghdr) on x86-64
    assertEquals(16, offset(MsgHdr.LAYOUT, "msg_iov"));
    assertEquals(24, offset(MsgHdr.LAYOUT, "msg_iovlen"));
    assertEquals(32, offset(MsgHdr.LAYOUT, "msg_control"));
    assertEquals(40, offset(MsgHdr.LAYOUT, "msg_controllen"));
    assertEquals(48, offset(MsgHdr.LAYOUT, "msg_flags"));
    assertEquals(16, MsgHdr.IOVEC.byteSize());
    assertEquals(16, MsgHdr.CMSGHDR.byteSize());
    assertEquals(12, offset(MsgHdr.CMSGHDR, "cmsg_type"));
    ByteBuffer r = le(MsgHdr.rights(7));
    assertEquals(24, r.capacity()); // CMSG_SPACE(sizeof(int))
    assertEquals(20, r.getLong(0)); // CMSG_LEN(sizeof(int))
    assertEquals(1, r.getInt(8)); // SOL_SOCKET
    assertEquals(1, r.getInt(12)); // SCM_RIGHTS
    assertEquals(7, r.getInt(16)); // CMSG_DATA
  }

  @Test
  void landlockRulesetAttrHasScopedAtSixteen() {
    assertEquals(24, LandlockAttr.RULESET_SCOPED.byteSize()); // ABI 6
    assertEquals(8, offset(LandlockAttr.RULESET_SCOPED, "handled_access_net"));
    assertEquals(16, offset(LandlockAttr.RULESET_SCOPED, "scoped"));
    ByteBuffer b = le(LandlockAttr.ruleset(5, Landlock.scopes(6)));
    assertEquals(5, b.getLong(0));
    assertEquals(0, b.getLong(8));
    assertEquals(3, b.getLong(16)); // LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL
    assertEquals(8, LandlockAttr.ruleset(5, Landlock.scopes(5)).length);
  }

  @Test
  void ifreqHasItsFlagsAfterTheName() {
    assertEquals(40, IfReq.LAYOUT.byteSize()); // sizeof(struct ifreq) on x86-64
    assertEquals(16, offset(IfReq.LAYOUT, "ifr_flags")); // IFNAMSIZ
    byte[] r = IfReq.flags("lo", IfReq.IFF_UP);
    assertEquals(40, r.length);
    assertEquals('l', r[0]);
    assertEquals('o', r[1]);
    assertEquals(0, r[2]);
    assertEquals(IfReq.IFF_UP, le(r).getShort(16));
    assertThrows(IllegalArgumentException.class, () -> IfReq.flags("a-name-too-long-x", (short) 0));
  }

  @Test
  void capabilityStructsAreVersion3() {
    assertEquals(8, Capabilities.HEADER.byteSize());
    assertEquals(4, offset(Capabilities.HEADER, "pid"));
    assertEquals(12, Capabilities.DATA.byteSize());
    assertEquals(4, offset(Capabilities.DATA, "permitted"));
    assertEquals(8, offset(Capabilities.DATA, "inheritable"));
    ByteBuffer h = le(Capabilities.header(Capabilities.VERSION_3, 0));
    assertEquals(0x20080522, h.getInt(0));
    assertEquals(0, h.getInt(4));
    assertArrayEquals(new byte[24], Capabilities.emptyData());
  }

  @Test
  void landlockStructsMatchTheUapi() {
    assertEquals(8, LandlockAttr.RULESET.byteSize()); // ABI 1: handled_access_fs only
    assertEquals(12, LandlockAttr.PATH_BENEATH.byteSize()); // __attribute__((packed))
    assertEquals(8, LandlockAttr.PARENT_FD);
    assertEquals(
        Landlock.ACCESS_FS_READ_DIR,
        le(LandlockAttr.ruleset(Landlock.ACCESS_FS_READ_DIR)).getLong(0));
    byte[] rule = LandlockAttr.pathBeneath(Landlock.ACCESS_FS_WRITE_FILE);
    // The runner stores a 64-bit result at parent_fd: 8 bytes from offset 8 must be the struct's.
    assertEquals(16, rule.length);
    assertEquals(Landlock.ACCESS_FS_WRITE_FILE, le(rule).getLong(0));
    assertEquals(0, le(rule).getLong(8));
  }

  @Test
  void termiosIsTheKernelsStruct() {
    assertEquals(36, Termios.LAYOUT.byteSize()); // asm-generic/termbits.h, NCCS = 19
    assertEquals(12, offset(Termios.LAYOUT, "c_lflag"));
    assertEquals(16, offset(Termios.LAYOUT, "c_line"));
    assertEquals(17, offset(Termios.LAYOUT, "c_cc"));
  }

  @Test
  void winsizeIsFourShorts() {
    assertEquals(8, Pty.WINSIZE.byteSize());
    assertEquals(2, offset(Pty.WINSIZE, "ws_col"));
    assertEquals(6, offset(Pty.WINSIZE, "ws_ypixel"));
  }

  @Test
  void linuxDirent64HasItsNameAfterANineteenByteHead() {
    assertEquals(19, Dirent64.NAME); // offsetof(struct linux_dirent64, d_name)
    assertEquals(8, offset(Dirent64.LAYOUT, "d_off"));
    assertEquals(16, offset(Dirent64.LAYOUT, "d_reclen"));
    assertEquals(18, offset(Dirent64.LAYOUT, "d_type"));
    byte[] record = {1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 24, 0, 4, '.', '.', 0, 0, 0};
    assertEquals(offset(Dirent64.LAYOUT, "d_reclen"), Dirent64.RECLEN);
    assertEquals(offset(Dirent64.LAYOUT, "d_type"), Dirent64.TYPE);
    assertEquals(24, Dirent64.reclen(record, 0));
    record[17] = 1; // little-endian: 24 + 256
    assertEquals(280, Dirent64.reclen(record, 0));
    record[17] = 0;
    assertEquals(Dirent64.DT_DIR, Dirent64.type(record, 0));
    assertEquals(2, Dirent64.nameLength(record, 0));
    assertTrue(Dirent64.isDotOrDotDot(record, 0));
    record[21] = '.';
    assertFalse(Dirent64.isDotOrDotDot(record, 0)); // "...", a name like any other
    record[22] = 'x';
    record[23] = 'x';
    assertThrows(IllegalArgumentException.class, () -> Dirent64.nameLength(record, 0));
  }

  @Test
  void statIsX86_64sStructStat() {
    assertEquals(144, Stat.LAYOUT.byteSize()); // sizeof(struct stat) on x86-64
    assertEquals(24, offset(Stat.LAYOUT, "st_mode"));
    assertEquals(Stat.MODE, offset(Stat.LAYOUT, "st_mode"));
    assertEquals(28, offset(Stat.LAYOUT, "st_uid"));
    assertEquals(0170000, Stat.S_IFMT);
    assertEquals(0040000, Stat.S_IFDIR);
    assertEquals(0120000, Stat.S_IFLNK);
  }

  @Test
  void pollfdIsEightBytes() {
    assertEquals(8, PollFd.LAYOUT.byteSize());
    assertEquals(4, offset(PollFd.LAYOUT, "events"));
    assertEquals(6, offset(PollFd.LAYOUT, "revents"));
  }

  @Test
  void mountAttrBytesCarrySetAndClear() {
    ByteBuffer b =
        le(new MountAttr(MountAttr.MOUNT_ATTR_RDONLY, MountAttr.MOUNT_ATTR_NOEXEC).bytes());
    assertEquals(32, b.capacity());
    assertEquals(MountAttr.MOUNT_ATTR_RDONLY, b.getLong(0));
    assertEquals(MountAttr.MOUNT_ATTR_NOEXEC, b.getLong(8));
  }

  @Test
  void runnerTablesMatchRunnerAssembly() {
    // the offsets runner-x86_64.s reads
    assertEquals(88, SetupProgram.STEP.byteSize());
    assertEquals(8, offset(SetupProgram.STEP, "args"));
    assertEquals(56, offset(SetupProgram.STEP, "tolerated"));
    assertEquals(64, offset(SetupProgram.STEP, "result_to"));
    assertEquals(72, offset(SetupProgram.STEP, "flags"));
    assertEquals(80, offset(SetupProgram.STEP, "expected"));
    assertEquals(56, SetupProgram.Header.LAYOUT.byteSize());
    assertEquals(16, SetupProgram.Header.STEP_COUNT);
    assertEquals(24, SetupProgram.Header.STEPS);
    assertEquals(32, SetupProgram.Header.FAILED_STEP);
    assertEquals(40, SetupProgram.Header.FAILED_ERRNO);
    assertEquals(48, SetupProgram.Header.FAILED_RESULT);
    assertEquals(16, SetupProgram.SOCK_FPROG.byteSize());
    assertEquals(8, offset(SetupProgram.SOCK_FPROG, "filter"));
  }

  private static ByteBuffer le(byte[] b) {
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
  }

  @Test
  void exitStatusFollowsTheShellConvention() {
    assertEquals(3, new SigInfo(10, SigInfo.CLD_EXITED, 3).exitStatus());
    assertEquals(137, new SigInfo(10, SigInfo.CLD_KILLED, 9).exitStatus());
    assertEquals(139, new SigInfo(10, SigInfo.CLD_DUMPED, 11).exitStatus());
  }

  @Test
  void flagsAreSpelledTheKernelsWay() {
    assertEquals("MS_BIND|MS_REC", Flags.mount(Flags.MS_BIND | Flags.MS_REC));
    assertEquals("0", Flags.mount(0));
    assertEquals("MS_RDONLY|0x40000000", Flags.mount(Flags.MS_RDONLY | 0x40000000L));
    assertEquals(
        "CLONE_NEWUSER|CLONE_NEWPID", Flags.clone(Syscalls.CLONE_NEWUSER | Syscalls.CLONE_NEWPID));
    assertEquals("O_RDONLY", Flags.open(0));
    assertEquals("O_RDONLY|O_CLOEXEC", Flags.open(Syscalls.O_CLOEXEC));
    assertEquals("O_WRONLY|O_CREAT", Flags.open(Syscalls.O_WRONLY | Syscalls.O_CREAT));
  }
}
