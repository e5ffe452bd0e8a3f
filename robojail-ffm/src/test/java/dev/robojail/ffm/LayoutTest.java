package dev.robojail.ffm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemoryLayout.PathElement;
import org.junit.jupiter.api.Test;

/** The struct layouts match the kernel's UAPI headers (offsets from linux/sched.h and others). */
class LayoutTest {
  private static long offset(java.lang.foreign.StructLayout l, String field) {
    return l.byteOffset(PathElement.groupElement(field));
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
