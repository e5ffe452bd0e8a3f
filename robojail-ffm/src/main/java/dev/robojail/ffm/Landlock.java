package dev.robojail.ffm;

/**
 * Landlock (Linux 5.13+), a second layer under the mount table: a process restricts its own access
 * to the filesystem by inode, whatever mounts lead there. These are the kernel's constants and the
 * ABI query; the rules themselves are set up by the child's setup program.
 */
public final class Landlock {
  public static final long ACCESS_FS_EXECUTE = 1L;
  public static final long ACCESS_FS_WRITE_FILE = 1L << 1;
  public static final long ACCESS_FS_READ_FILE = 1L << 2;
  public static final long ACCESS_FS_READ_DIR = 1L << 3;
  public static final long ACCESS_FS_REMOVE_DIR = 1L << 4;
  public static final long ACCESS_FS_REMOVE_FILE = 1L << 5;
  public static final long ACCESS_FS_MAKE_CHAR = 1L << 6;
  public static final long ACCESS_FS_MAKE_DIR = 1L << 7;
  public static final long ACCESS_FS_MAKE_REG = 1L << 8;
  public static final long ACCESS_FS_MAKE_SOCK = 1L << 9;
  public static final long ACCESS_FS_MAKE_FIFO = 1L << 10;
  public static final long ACCESS_FS_MAKE_BLOCK = 1L << 11;
  public static final long ACCESS_FS_MAKE_SYM = 1L << 12;
  public static final long ACCESS_FS_REFER = 1L << 13; // ABI 2
  public static final long ACCESS_FS_TRUNCATE = 1L << 14; // ABI 3

  /** ABI 6: no connecting to abstract UNIX sockets made outside the Landlock domain. */
  public static final long SCOPE_ABSTRACT_UNIX_SOCKET = 1L;

  /** ABI 6: no signals to processes outside the Landlock domain. */
  public static final long SCOPE_SIGNAL = 1L << 1;

  public static final int RULE_PATH_BENEATH = 1;
  public static final int CREATE_RULESET_VERSION = 1;

  private Landlock() {}

  /** The kernel's Landlock ABI version, or 0 when Landlock is missing or disabled. */
  public static int abi() {
    long r = Syscalls.raw(Sysno.LANDLOCK_CREATE_RULESET, 0, 0, CREATE_RULESET_VERSION);
    return r < 0 ? 0 : (int) r;
  }

  /** The scopes this ABI has (0 before ABI 6): abstract UNIX sockets and signals. */
  public static long scopes(int abi) {
    return abi >= 6 ? SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL : 0;
  }

  /** Every access that changes the filesystem, as far as this ABI can tell them apart. */
  public static long writeAccess(int abi) {
    long w =
        ACCESS_FS_WRITE_FILE
            | ACCESS_FS_REMOVE_DIR
            | ACCESS_FS_REMOVE_FILE
            | ACCESS_FS_MAKE_CHAR
            | ACCESS_FS_MAKE_DIR
            | ACCESS_FS_MAKE_REG
            | ACCESS_FS_MAKE_SOCK
            | ACCESS_FS_MAKE_FIFO
            | ACCESS_FS_MAKE_BLOCK
            | ACCESS_FS_MAKE_SYM;
    if (abi >= 2) {
      w |= ACCESS_FS_REFER;
    }
    if (abi >= 3) {
      w |= ACCESS_FS_TRUNCATE;
    }
    return w;
  }

  /**
   * The part of {@link #writeAccess} that a rule on a file (not a directory) may carry: the kernel
   * refuses a file rule with directory rights (making or removing entries) with EINVAL.
   */
  public static long fileWriteAccess(int abi) {
    long w = ACCESS_FS_WRITE_FILE;
    if (abi >= 3) {
      w |= ACCESS_FS_TRUNCATE;
    }
    return w;
  }
}
