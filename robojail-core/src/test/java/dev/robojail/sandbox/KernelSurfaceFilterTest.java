package dev.robojail.sandbox;

import static dev.robojail.ffm.Seccomp.Insn.jeq;
import static dev.robojail.ffm.Seccomp.Insn.jset;
import static dev.robojail.ffm.Seccomp.Insn.load;
import static dev.robojail.ffm.Seccomp.Insn.ret;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.robojail.ffm.Errno;
import dev.robojail.ffm.Seccomp;
import dev.robojail.ffm.Seccomp.Insn;
import dev.robojail.ffm.Syscalls;
import dev.robojail.ffm.Sysno;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The filter's parts that keep a jail from planting setuid files and from reaching into other
 * processes as ptrace would: by instruction, and by verdict over seeded random arguments.
 */
class KernelSurfaceFilterTest {
  private static final int X86_64 = Seccomp.AUDIT_ARCH_X86_64;
  private static final int EPERM = Seccomp.RET_ERRNO | Errno.EPERM;
  private static final int ALLOW = Seccomp.RET_ALLOW;
  private static final List<Insn> DEFAULT = SyscallFilter.program(false, false, false);
  private static final List<Insn> ROOT_INSIDE = SyscallFilter.program(false, false, true);

  /** Every call whose verdict this test decides, for the "everything else" property. */
  static final Set<Integer> CHECKED = checked();

  private static Set<Integer> checked() {
    Set<Integer> s = new HashSet<>(SyscallFilter.PTRACE_LIKE.keySet());
    s.addAll(SyscallFilter.MODE_SETTERS.keySet());
    SyscallFilter.CREATING_OPENS.forEach(o -> s.add(o[0]));
    s.add(Sysno.OPENAT2);
    s.addAll(SyscallFilter.XATTR_SETTERS);
    return Set.copyOf(s);
  }

  private static int verdict(List<Insn> p, int nr, long... args) {
    return Seccomp.evaluate(p, X86_64, nr, args);
  }

  /** Arguments with {@code value} at {@code index} and seeded noise elsewhere. */
  private static long[] argsWith(Random r, int index, long value) {
    long[] a = new long[6];
    for (int i = 0; i < a.length; i++) {
      a[i] = i == index ? value : r.nextLong();
    }
    return a;
  }

  static Stream<Long> seeds() {
    return new Random(1010).longs(20).boxed();
  }

  @Test
  void callsEquivalentToPtraceAreRefusedUnlessPtraceIsAllowed() {
    List<Insn> traced = SyscallFilter.program(true, false, false);
    for (Map.Entry<Integer, String> e : SyscallFilter.PTRACE_LIKE.entrySet()) {
      assertEquals(EPERM, verdict(DEFAULT, e.getKey()), e.getValue());
      assertEquals(ALLOW, verdict(traced, e.getKey()), e.getValue());
    }
  }

  @Test
  void eachModeSetterIsOneBlockTestingItsModeArgument() {
    for (Map.Entry<Integer, Integer> e : SyscallFilter.MODE_SETTERS.entrySet()) {
      int i = DEFAULT.indexOf(jeq(e.getKey(), 0, 4));
      assertEquals(
          List.of(
              load(Seccomp.argLow(e.getValue())),
              jset(04000 | 02000, 1, 0),
              ret(ALLOW),
              ret(EPERM)),
          DEFAULT.subList(i + 1, i + 5),
          "syscall " + e.getKey());
    }
  }

  /** Property: a mode setter is refused exactly when the mode carries setuid or setgid. */
  @ParameterizedTest
  @MethodSource("seeds")
  void aModeIsRefusedExactlyWhenItCarriesSetuidOrSetgid(long seed) {
    Random r = new Random(seed);
    for (Map.Entry<Integer, Integer> e : SyscallFilter.MODE_SETTERS.entrySet()) {
      for (int i = 0; i < 50; i++) {
        int mode = r.nextInt(010000) | (r.nextBoolean() ? 0100000 : 0); // S_IFREG at times
        boolean special = (mode & 06000) != 0;
        assertEquals(
            special ? EPERM : ALLOW,
            verdict(DEFAULT, e.getKey(), argsWith(r, e.getValue(), mode)),
            "syscall " + e.getKey() + " mode 0" + Integer.toOctalString(mode));
      }
    }
  }

  @Test
  void theUsualAttacksAreRefusedAndTheUsualModesPass() {
    // chmod 4755, chmod g+s, install -m 2755, mknod of a setuid regular file
    assertEquals(EPERM, verdict(DEFAULT, Sysno.CHMOD, 0, 04755));
    assertEquals(EPERM, verdict(DEFAULT, Sysno.FCHMODAT, -100, 0, 02755));
    assertEquals(EPERM, verdict(DEFAULT, Sysno.FCHMODAT2, -100, 0, 06755, 0x100));
    assertEquals(EPERM, verdict(DEFAULT, Sysno.FCHMOD, 3, 04711));
    assertEquals(EPERM, verdict(DEFAULT, Sysno.MKNODAT, -100, 0, 0100000 | 04755, 0));
    assertEquals(ALLOW, verdict(DEFAULT, Sysno.CHMOD, 0, 0755));
    assertEquals(ALLOW, verdict(DEFAULT, Sysno.FCHMOD, 3, 01777)); // sticky is harmless
    assertEquals(ALLOW, verdict(DEFAULT, Sysno.MKDIRAT, -100, 0, 02775)); // setgid directories
  }

  /** Property: an open is refused exactly when it creates a file with setuid or setgid. */
  @ParameterizedTest
  @MethodSource("seeds")
  void anOpenIsRefusedExactlyWhenItCreatesASetuidFile(long seed) {
    Random r = new Random(seed);
    int creating = Syscalls.O_CREAT | SyscallFilter.O_TMPFILE_BIT;
    for (int[] open : SyscallFilter.CREATING_OPENS) {
      for (int i = 0; i < 100; i++) {
        int flags = r.nextInt();
        int mode = r.nextInt(010000);
        long[] args = argsWith(r, open[1], flags);
        args[open[2]] = mode;
        boolean refused = (flags & creating) != 0 && (mode & 06000) != 0;
        assertEquals(
            refused ? EPERM : ALLOW,
            verdict(DEFAULT, open[0], args),
            "syscall " + open[0] + " flags " + Integer.toHexString(flags) + " mode " + mode);
      }
    }
    int openat = Sysno.OPENAT;
    int tmpfile = SyscallFilter.O_TMPFILE_BIT | Syscalls.O_DIRECTORY | 2; // O_TMPFILE|O_RDWR
    assertEquals(EPERM, verdict(DEFAULT, openat, -100, 0, tmpfile, 04755));
    assertEquals(EPERM, verdict(DEFAULT, openat, -100, 0, Syscalls.O_CREAT | 1, 06755));
    assertEquals(ALLOW, verdict(DEFAULT, openat, -100, 0, Syscalls.O_CREAT | 1, 0644));
    // without a creating flag the mode is ignored by the kernel, and so by the filter
    assertEquals(ALLOW, verdict(DEFAULT, openat, -100, 0, Syscalls.O_DIRECTORY, 07777));
  }

  @Test
  void openat2WhoseStructTheFilterCannotReadLooksAbsent() {
    assertEquals(Seccomp.RET_ERRNO | Errno.ENOSYS, verdict(DEFAULT, Sysno.OPENAT2, -100, 0, 0, 24));
  }

  @Test
  void extendedAttributesAreRefusedOnlyWhereFileCapabilitiesCouldBeWritten() {
    for (int nr : SyscallFilter.XATTR_SETTERS) {
      assertEquals(ALLOW, verdict(DEFAULT, nr, 0, 0, 0, 0, 0), "syscall " + nr);
      assertEquals(
          Seccomp.RET_ERRNO | Errno.EOPNOTSUPP,
          verdict(ROOT_INSIDE, nr, 0, 0, 0, 0, 0),
          "syscall " + nr);
    }
  }

  @Test
  void theSandboxesFilterFollowsItsCapabilities() {
    Sandbox plain = Sandbox.builder().command("/bin/true").build();
    Sandbox root = Sandbox.builder().rootInside().command("/bin/true").build();
    HostFacts host = new HostFacts(Long.MAX_VALUE, Long.MAX_VALUE, 0, 40, -1);
    assertEquals(
        ROOT_INSIDE.size() - SyscallFilter.XATTR_SETTERS.size() * 2,
        filterLength(plain, host),
        "without capabilities there is no xattr block");
    assertEquals(ROOT_INSIDE.size(), filterLength(root, host));
  }

  private static int filterLength(Sandbox s, HostFacts host) {
    String shown =
        s.plan(host).steps().stream()
            .filter(st -> st.name().equals("seccomp"))
            .findFirst()
            .orElseThrow()
            .toString();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\{(\\d+) BPF").matcher(shown);
    assertEquals(true, m.find(), shown);
    return Integer.parseInt(m.group(1));
  }
}
