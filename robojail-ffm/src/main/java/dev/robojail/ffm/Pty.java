package dev.robojail.ffm;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * A new pseudo-terminal pair from the host's {@code /dev/ptmx}.
 *
 * @param master the side the caller reads and writes (close-on-exec)
 * @param slave the side a child uses as its terminal (close-on-exec; the child dup3s it)
 * @param number the {@code /dev/pts} number
 */
public record Pty(int master, int slave, int number) {
  public static final long TIOCGPTN = 0x80045430L;
  public static final long TIOCSPTLCK = 0x40045431L;
  public static final long TIOCGWINSZ = 0x5413;
  public static final long TIOCSWINSZ = 0x5414;
  public static final long TIOCSCTTY = 0x540e;

  /** Opens the slave of the master it is called on, without a path: {@code TIOCGPTPEER}. */
  public static final long TIOCGPTPEER = 0x5441;

  /** {@code struct winsize}. */
  public static final StructLayout WINSIZE =
      MemoryLayout.structLayout(
          JAVA_SHORT.withName("ws_row"),
          JAVA_SHORT.withName("ws_col"),
          JAVA_SHORT.withName("ws_xpixel"),
          JAVA_SHORT.withName("ws_ypixel"));

  private static final long ROWS = Structs.offset(WINSIZE, "ws_row");
  private static final long COLUMNS = Structs.offset(WINSIZE, "ws_col");

  /** Opens a new pair. */
  public static Pty open() {
    int master =
        Syscalls.openat(
            Syscalls.AT_FDCWD,
            "/dev/ptmx",
            Syscalls.O_RDWR | Syscalls.O_NOCTTY | Syscalls.O_CLOEXEC,
            0);
    try (Arena a = Arena.ofConfined()) {
      MemorySegment n = a.allocate(JAVA_INT);
      Syscalls.ioctl(master, TIOCSPTLCK, n); // *n == 0: unlock
      Syscalls.ioctl(master, TIOCGPTN, n);
      int number = Structs.intAt(n, 0);
      int slave =
          Syscalls.openat(
              Syscalls.AT_FDCWD,
              "/dev/pts/" + number,
              Syscalls.O_RDWR | Syscalls.O_NOCTTY | Syscalls.O_CLOEXEC,
              0);
      return new Pty(master, slave, number);
    } catch (RuntimeException e) {
      Syscalls.close(master);
      throw e;
    }
  }

  /** The {@code struct winsize} bytes for a terminal of {@code rows} by {@code columns}. */
  public static byte[] winsize(int rows, int columns) {
    return Structs.bytes(
        WINSIZE.byteSize(),
        s -> {
          s.putShort((int) ROWS, (short) rows);
          s.putShort((int) COLUMNS, (short) columns);
        });
  }

  /** Sets the terminal's size, which sends SIGWINCH to its foreground process group. */
  public static void setSize(int fd, int rows, int columns) {
    try (Arena a = Arena.ofConfined()) {
      Syscalls.ioctl(fd, TIOCSWINSZ, Structs.copy(a, winsize(rows, columns), 8));
    }
  }

  /** The terminal's size as {rows, columns}. */
  public static int[] size(int fd) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment ws = a.allocate(WINSIZE);
      Syscalls.ioctl(fd, TIOCGWINSZ, ws);
      return new int[] {
        Short.toUnsignedInt(Structs.shortAt(ws, ROWS)),
        Short.toUnsignedInt(Structs.shortAt(ws, COLUMNS))
      };
    }
  }
}
