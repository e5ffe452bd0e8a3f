package dev.robojail.sandbox;

import static dev.robojail.ffm.Seccomp.Insn.jeq;
import static dev.robojail.ffm.Seccomp.Insn.jge;
import static dev.robojail.ffm.Seccomp.Insn.load;
import static dev.robojail.ffm.Seccomp.Insn.ret;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.robojail.ffm.Errno;
import dev.robojail.ffm.Seccomp;
import dev.robojail.ffm.Seccomp.Insn;
import dev.robojail.ffm.Syscalls;
import dev.robojail.ffm.Sysno;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The default seccomp filter, instruction by instruction and by its verdicts. */
class SyscallFilterTest {
  private static final int X86_64 = Seccomp.AUDIT_ARCH_X86_64;
  private static final int EPERM = Seccomp.RET_ERRNO | Errno.EPERM;
  private static final List<Insn> DEFAULT = SyscallFilter.program(false, false);

  private static int verdict(List<Insn> p, int nr, long... args) {
    return Seccomp.evaluate(p, X86_64, nr, args);
  }

  @Test
  void itChecksTheArchitectureFirstAndRefusesX32() {
    assertEquals(
        List.of(
            load(Seccomp.OFFSET_ARCH),
            jeq(X86_64, 1, 0),
            ret(Seccomp.RET_KILL_PROCESS),
            load(Seccomp.OFFSET_NR),
            jge(Seccomp.X32_SYSCALL_BIT, 0, 1),
            ret(EPERM),
            jge(SyscallFilter.LAST_REVIEWED + 1, 0, 1),
            ret(Seccomp.RET_ERRNO | Errno.ENOSYS)),
        DEFAULT.subList(0, 8));
    // i386 numbering (int 0x80 from a 64-bit process): read(0) there is restart_syscall…
    assertEquals(Seccomp.RET_KILL_PROCESS, Seccomp.evaluate(DEFAULT, 0x40000003, 101));
    assertEquals(EPERM, verdict(DEFAULT, Seccomp.X32_SYSCALL_BIT | 101));
    assertEquals(Seccomp.RET_ALLOW, DEFAULT.getLast().k());
  }

  @Test
  void everyDeniedCallIsAnEqualityTestFollowedByEperm() {
    for (int nr : SyscallFilter.DENIED.keySet()) {
      int i = DEFAULT.indexOf(jeq(nr, 0, 1));
      assertEquals(ret(EPERM), DEFAULT.get(i + 1), SyscallFilter.DENIED.get(nr));
      assertEquals(EPERM, verdict(DEFAULT, nr), SyscallFilter.DENIED.get(nr));
    }
  }

  @Test
  void eachDeniedNumberIsTheCallItIsNamedFor() throws ReflectiveOperationException {
    // The names are what messages and SECURITY.md promise; the numbers are what the kernel sees.
    // Sysno is checked against the kernel's own header (SysnoTest in robojail-ffm).
    assertEquals(39, SyscallFilter.DENIED.size());
    for (var e : SyscallFilter.DENIED.entrySet()) {
      String field = e.getValue().toUpperCase(Locale.ROOT);
      assertEquals(Sysno.class.getField(field).getInt(null), e.getKey(), e.getValue());
    }
  }

  @Test
  void callsNewerThanTheReviewedKernelAnswerEnosysWhateverTheOptions() {
    // open_tree_attr arrived beside a denied open_tree and did what it refuses; the next such
    // call must not be allowed by default.
    int enosys = Seccomp.RET_ERRNO | Errno.ENOSYS;
    for (List<Insn> p :
        List.of(
            DEFAULT, SyscallFilter.program(true, true), SyscallFilter.program(true, true, true))) {
      for (int nr : List.of(SyscallFilter.LAST_REVIEWED + 1, 470, 471, 512, 1000, 0x3fffffff)) {
        assertEquals(enosys, verdict(p, nr), "syscall " + nr);
      }
      assertEquals(Seccomp.RET_ALLOW, verdict(p, Sysno.FILE_SETATTR, 0, 0, 0, 0, 0));
      assertEquals(EPERM, verdict(p, Sysno.OPEN_TREE_ATTR, -100, 0, 1, 0, 32));
      assertEquals(EPERM, verdict(p, Seccomp.X32_SYSCALL_BIT | 470));
    }
  }

  @Test
  void ptraceIsRefusedUnlessAllowed() {
    assertEquals(EPERM, verdict(DEFAULT, Sysno.PTRACE));
    assertEquals(Seccomp.RET_ALLOW, verdict(SyscallFilter.program(true, false), Sysno.PTRACE));
  }

  @Test
  void terminalInjectionIoctlsAreRefusedWhateverTheHighBits() {
    int ioctl = Sysno.IOCTL;
    assertEquals(EPERM, verdict(DEFAULT, ioctl, 0, 0x5412));
    assertEquals(EPERM, verdict(DEFAULT, ioctl, 0, 0xffffffff00005412L)); // CVE-2019-10063
    assertEquals(EPERM, verdict(DEFAULT, ioctl, 0, 0x541c));
    assertEquals(EPERM, verdict(DEFAULT, ioctl, 0, 0x100000000000541cL));
    assertEquals(Seccomp.RET_ALLOW, verdict(DEFAULT, ioctl, 0, 0x5413)); // TIOCGWINSZ
    assertEquals(Seccomp.RET_ALLOW, verdict(DEFAULT, ioctl, 0, 0x5401)); // TCGETS
  }

  @Test
  void nestedUserNamespacesAreRefusedUnlessAllowed() {
    long newUser = Syscalls.CLONE_NEWUSER;
    assertEquals(EPERM, verdict(DEFAULT, Sysno.CLONE, newUser | 17));
    assertEquals(EPERM, verdict(DEFAULT, Sysno.UNSHARE, newUser));
    assertEquals(Seccomp.RET_ALLOW, verdict(DEFAULT, Sysno.CLONE, 0x01200011)); // fork
    assertEquals(Seccomp.RET_ALLOW, verdict(DEFAULT, Sysno.UNSHARE, 0x400)); // FILES
    assertEquals(Seccomp.RET_ERRNO | Errno.ENOSYS, verdict(DEFAULT, Sysno.CLONE3, 0, 88));
    List<Insn> allowed = SyscallFilter.program(false, true);
    assertEquals(Seccomp.RET_ALLOW, verdict(allowed, Sysno.CLONE, newUser));
    assertEquals(Seccomp.RET_ALLOW, verdict(allowed, Sysno.CLONE3, 0, 88));
  }

  @Test
  void onlyUnixInetInet6AndNetlinkSocketsCanBeMade() {
    int socket = Sysno.SOCKET;
    assertEquals(Seccomp.RET_ALLOW, verdict(DEFAULT, socket, 1, 1, 0));
    assertEquals(Seccomp.RET_ALLOW, verdict(DEFAULT, socket, 2, 1, 0));
    assertEquals(Seccomp.RET_ALLOW, verdict(DEFAULT, socket, 10, 2, 0));
    assertEquals(Seccomp.RET_ALLOW, verdict(DEFAULT, socket, 16, 3, 0));
    // the high bits do not count: the kernel reads an int
    assertEquals(Seccomp.RET_ALLOW, verdict(DEFAULT, socket, 0x1_0000_0002L, 1, 0));
    assertEquals(Seccomp.RET_ERRNO | 97, verdict(DEFAULT, socket, 17, 3, 0)); // AF_PACKET
    assertEquals(Seccomp.RET_ERRNO | 97, verdict(DEFAULT, socket, 40, 1, 0)); // AF_VSOCK
    assertEquals(Seccomp.RET_ERRNO | 97, verdict(DEFAULT, socket, 0x1_0000_0028L, 1, 0));
  }

  static Stream<Long> seeds() {
    return new Random(77).longs(30).boxed();
  }

  /** Property: any call not named by the policy is allowed, whatever its arguments. */
  @ParameterizedTest
  @MethodSource("seeds")
  void everythingElseIsAllowed(long seed) {
    Random r = new Random(seed);
    List<Integer> special =
        List.of(Sysno.PTRACE, Sysno.IOCTL, Sysno.CLONE, Sysno.CLONE3, Sysno.UNSHARE, Sysno.SOCKET);
    for (int i = 0; i < 200; i++) {
      int nr = r.nextInt(SyscallFilter.LAST_REVIEWED + 1);
      if (SyscallFilter.DENIED.containsKey(nr)
          || special.contains(nr)
          || KernelSurfaceFilterTest.CHECKED.contains(nr)) {
        continue;
      }
      assertEquals(
          Seccomp.RET_ALLOW,
          verdict(DEFAULT, nr, r.nextLong(), r.nextLong(), r.nextLong()),
          "syscall " + nr);
    }
  }

  @Test
  void theProgramFitsTheKernelsLimitAndEncodesTo8BytesAnInstruction() {
    byte[] bytes = Seccomp.encode(DEFAULT);
    assertEquals(DEFAULT.size() * 8, bytes.length);
    assertEquals(0x20, bytes[0] & 0xff, "first instruction: BPF_LD|BPF_W|BPF_ABS, low byte first");
    assertEquals(4, bytes[4], "its k: the arch offset");
  }
}
