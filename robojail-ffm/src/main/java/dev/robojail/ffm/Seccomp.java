package dev.robojail.ffm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Objects;

/**
 * Classic BPF programs for {@code seccomp(SECCOMP_SET_MODE_FILTER)}, built as data so that each
 * instruction can be checked by a test. A program reads {@code struct seccomp_data}: the syscall
 * number at offset 0, the audit architecture at 4, the instruction pointer at 8 and the six
 * arguments from 16, 8 bytes each (little-endian on x86-64, so the low 32 bits come first).
 */
public final class Seccomp {
  public static final int BPF_LD = 0x00;
  public static final int BPF_JMP = 0x05;
  public static final int BPF_RET = 0x06;
  public static final int BPF_ALU = 0x04;
  public static final int BPF_W = 0x00;
  public static final int BPF_ABS = 0x20;
  public static final int BPF_JEQ = 0x10;
  public static final int BPF_JGE = 0x30;
  public static final int BPF_JSET = 0x40;
  public static final int BPF_K = 0x00;
  public static final int BPF_AND = 0x50;

  public static final int RET_KILL_PROCESS = 0x80000000;
  public static final int RET_ERRNO = 0x00050000;
  public static final int RET_ALLOW = 0x7fff0000;

  public static final int AUDIT_ARCH_X86_64 = 0xc000003e;
  public static final int X32_SYSCALL_BIT = 0x40000000;

  public static final int SECCOMP_SET_MODE_FILTER = 1;

  public static final int OFFSET_NR = 0;
  public static final int OFFSET_ARCH = 4;

  /** The offset of the low 32 bits of argument {@code i} (0-5). */
  public static int argLow(int i) {
    return 16 + 8 * Objects.checkIndex(i, 6);
  }

  /**
   * One {@code struct sock_filter}.
   *
   * @param code opcode
   * @param jt jump offset if true
   * @param jf jump offset if false
   * @param k the constant
   */
  public record Insn(int code, int jt, int jf, int k) {
    public Insn {
      if (jt < 0 || jt > 255 || jf < 0 || jf > 255) {
        throw new IllegalArgumentException("BPF jumps are 0-255 instructions: " + jt + "/" + jf);
      }
    }

    /** Load the 32-bit word at {@code offset} of seccomp_data into A. */
    public static Insn load(int offset) {
      return new Insn(BPF_LD | BPF_W | BPF_ABS, 0, 0, offset);
    }

    /** If A == k skip {@code jt} instructions, else {@code jf}. */
    public static Insn jeq(int k, int jt, int jf) {
      return new Insn(BPF_JMP | BPF_JEQ | BPF_K, jt, jf, k);
    }

    /** If {@code A & k != 0} skip {@code jt} instructions, else {@code jf}. */
    public static Insn jset(int k, int jt, int jf) {
      return new Insn(BPF_JMP | BPF_JSET | BPF_K, jt, jf, k);
    }

    /** If A >= k (unsigned) skip {@code jt} instructions, else {@code jf}. */
    public static Insn jge(int k, int jt, int jf) {
      return new Insn(BPF_JMP | BPF_JGE | BPF_K, jt, jf, k);
    }

    /** Return {@code action}. */
    public static Insn ret(int action) {
      return new Insn(BPF_RET | BPF_K, 0, 0, action);
    }
  }

  private Seccomp() {}

  /** The program as the kernel reads it: 8 bytes per instruction, native byte order. */
  public static byte[] encode(List<Insn> program) {
    ByteBuffer b = ByteBuffer.allocate(program.size() * 8).order(ByteOrder.nativeOrder());
    for (Insn i : program) {
      b.putShort((short) i.code()).put((byte) i.jt()).put((byte) i.jf()).putInt(i.k());
    }
    return b.array();
  }

  /**
   * Runs a program on one syscall, the way the kernel would: for tests, and to explain a filter's
   * verdict.
   *
   * @param args the six arguments
   * @return the action, such as {@link #RET_ALLOW} or {@code RET_ERRNO | errno}
   */
  public static int evaluate(List<Insn> program, int arch, int nr, long... args) {
    ByteBuffer data = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    data.putInt(0, nr).putInt(4, arch);
    for (int i = 0; i < args.length; i++) {
      data.putLong(16 + 8 * i, args[i]);
    }
    int a = 0;
    int pc = 0;
    while (pc < program.size()) {
      Insn i = program.get(pc);
      switch (i.code()) {
        case BPF_LD | BPF_W | BPF_ABS -> {
          a = data.getInt(i.k());
          pc++;
        }
        case BPF_JMP | BPF_JEQ | BPF_K -> pc += 1 + (a == i.k() ? i.jt() : i.jf());
        case BPF_JMP | BPF_JSET | BPF_K -> pc += 1 + ((a & i.k()) != 0 ? i.jt() : i.jf());
        case BPF_JMP | BPF_JGE | BPF_K ->
            pc += 1 + (Integer.compareUnsigned(a, i.k()) >= 0 ? i.jt() : i.jf());
        case BPF_RET | BPF_K -> {
          return i.k();
        }
        default -> throw new IllegalArgumentException("unsupported BPF opcode " + i.code());
      }
    }
    throw new IllegalStateException("BPF program fell off its end");
  }
}
