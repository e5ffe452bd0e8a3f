package dev.robojail.ffm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * A terminal's modes ({@code struct termios}: four flag words, the line discipline, 19 control
 * characters), to put the user's terminal in raw mode while a jail has a terminal of its own, and
 * to restore it exactly afterwards.
 */
public final class Termios {
  /**
   * The kernel's {@code struct termios} as {@code TCGETS} and {@code TCSETS} read and write it (36
   * bytes; the C library's own struct termios is larger, with fields the kernel never sees).
   */
  public static final StructLayout LAYOUT =
      MemoryLayout.structLayout(
          JAVA_INT.withName("c_iflag"),
          JAVA_INT.withName("c_oflag"),
          JAVA_INT.withName("c_cflag"),
          JAVA_INT.withName("c_lflag"),
          JAVA_BYTE.withName("c_line"),
          MemoryLayout.sequenceLayout(19, JAVA_BYTE).withName("c_cc"));

  static final long TCGETS = 0x5401;
  private static final long TCSETS = 0x5402;
  // The C library's sizeof(struct termios); the kernel uses the first LAYOUT bytes, the rest stay
  // 0.
  static final int SIZE = 60;
  private static final long IFLAG = Structs.offset(LAYOUT, "c_iflag");
  private static final long OFLAG = Structs.offset(LAYOUT, "c_oflag");
  private static final long CFLAG = Structs.offset(LAYOUT, "c_cflag");
  private static final long LFLAG = Structs.offset(LAYOUT, "c_lflag");
  private static final long CC = Structs.offset(LAYOUT, "c_cc");
  private static final int VTIME = 5;
  private static final int VMIN = 6;

  private final byte[] bytes;

  private Termios(byte[] bytes) {
    this.bytes = bytes;
  }

  /** Modes from the raw struct, for tests that fake a terminal. */
  static Termios of(byte[] bytes) {
    if (bytes.length != SIZE) {
      throw new IllegalArgumentException("struct termios is " + SIZE + " bytes");
    }
    return new Termios(bytes.clone());
  }

  /**
   * Whether {@code fd} is a terminal. Kept for callers of this class; robojail itself asks {@link
   * Kernel#isTerminal}, which does not initialise this class and its layouts.
   */
  public static boolean isTerminal(int fd) {
    return LinuxKernel.INSTANCE.isTerminal(fd);
  }

  /** The terminal's current modes. */
  public static Termios get(int fd) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment t = a.allocate(SIZE);
      Syscalls.ioctl(fd, TCGETS, t);
      return new Termios(t.toArray(JAVA_BYTE));
    }
  }

  /** Applies these modes to the terminal. */
  public void set(int fd) {
    try (Arena a = Arena.ofConfined()) {
      Syscalls.ioctl(fd, TCSETS, a.allocateFrom(JAVA_BYTE, bytes));
    }
  }

  /**
   * These modes made raw, as {@code cfmakeraw(3)} does: no echo, no line editing, no signals from
   * keys (Ctrl-C and Ctrl-Z travel as bytes to the jail's own terminal), no output processing,
   * 8-bit characters, reads return after one byte.
   */
  public Termios raw() {
    // a heap buffer, not a segment's var handles, which spin classes at their first use
    byte[] raw = bytes.clone();
    java.nio.ByteBuffer t = java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.nativeOrder());
    int iflag = t.getInt((int) IFLAG);
    iflag &= ~(0x1 | 0x2 | 0x8 | 0x20 | 0x40 | 0x80 | 0x100 | 0x400); // IGNBRK BRKINT PARMRK
    // ISTRIP INLCR IGNCR ICRNL IXON
    t.putInt((int) IFLAG, iflag);
    t.putInt((int) OFLAG, t.getInt((int) OFLAG) & ~0x1); // OPOST
    int lflag = t.getInt((int) LFLAG);
    lflag &= ~(0x8 | 0x40 | 0x2 | 0x1 | 0x8000); // ECHO ECHONL ICANON ISIG IEXTEN
    t.putInt((int) LFLAG, lflag);
    int cflag = t.getInt((int) CFLAG);
    cflag = (cflag & ~(0x30 | 0x100)) | 0x30; // CSIZE, PARENB off; CS8
    t.putInt((int) CFLAG, cflag);
    t.put((int) (CC + VMIN), (byte) 1);
    t.put((int) (CC + VTIME), (byte) 0);
    return new Termios(raw);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Termios t && java.util.Arrays.equals(bytes, t.bytes);
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(bytes);
  }
}
