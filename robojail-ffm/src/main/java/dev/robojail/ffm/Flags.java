package dev.robojail.ffm;

import java.util.ArrayList;
import java.util.List;

/** Flag words spelled the kernel's way, such as {@code MS_BIND|MS_REC}, for messages and plans. */
public final class Flags {
  public static final long MS_RDONLY = 1;
  public static final long MS_NOSUID = 2;
  public static final long MS_NODEV = 4;
  public static final long MS_NOEXEC = 8;
  public static final long MS_REMOUNT = 32;
  public static final long MS_BIND = 4096;
  public static final long MS_MOVE = 8192;
  public static final long MS_REC = 16384;
  public static final long MS_SILENT = 32768;
  public static final long MS_PRIVATE = 1 << 18;
  public static final long MS_SLAVE = 1 << 19;
  public static final long MS_STRICTATIME = 1 << 24;

  private static final Object[] MOUNT = {
    MS_RDONLY,
    "MS_RDONLY",
    MS_NOSUID,
    "MS_NOSUID",
    MS_NODEV,
    "MS_NODEV",
    MS_NOEXEC,
    "MS_NOEXEC",
    MS_REMOUNT,
    "MS_REMOUNT",
    MS_BIND,
    "MS_BIND",
    MS_MOVE,
    "MS_MOVE",
    MS_REC,
    "MS_REC",
    MS_SILENT,
    "MS_SILENT",
    MS_PRIVATE,
    "MS_PRIVATE",
    MS_SLAVE,
    "MS_SLAVE",
    MS_STRICTATIME,
    "MS_STRICTATIME",
  };

  private static final Object[] CLONE = {
    Syscalls.CLONE_VM, "CLONE_VM", Syscalls.CLONE_PIDFD, "CLONE_PIDFD",
    Syscalls.CLONE_NEWNS, "CLONE_NEWNS", Syscalls.CLONE_NEWCGROUP, "CLONE_NEWCGROUP",
    Syscalls.CLONE_NEWUTS, "CLONE_NEWUTS", Syscalls.CLONE_NEWIPC, "CLONE_NEWIPC",
    Syscalls.CLONE_NEWUSER, "CLONE_NEWUSER", Syscalls.CLONE_NEWPID, "CLONE_NEWPID",
    Syscalls.CLONE_NEWNET, "CLONE_NEWNET", Syscalls.CLONE_CLEAR_SIGHAND, "CLONE_CLEAR_SIGHAND",
    Syscalls.CLONE_INTO_CGROUP, "CLONE_INTO_CGROUP",
  };

  private static final Object[] OPEN = {
    (long) Syscalls.O_WRONLY, "O_WRONLY", (long) Syscalls.O_RDWR, "O_RDWR",
    (long) Syscalls.O_CREAT, "O_CREAT", (long) Syscalls.O_EXCL, "O_EXCL",
    (long) Syscalls.O_NOCTTY, "O_NOCTTY", (long) Syscalls.O_TRUNC, "O_TRUNC",
    (long) Syscalls.O_APPEND, "O_APPEND", (long) Syscalls.O_NONBLOCK, "O_NONBLOCK",
    (long) Syscalls.O_DIRECTORY, "O_DIRECTORY", (long) Syscalls.O_NOFOLLOW, "O_NOFOLLOW",
    (long) Syscalls.O_CLOEXEC, "O_CLOEXEC", (long) Syscalls.O_PATH, "O_PATH",
  };

  private Flags() {}

  /** Mount flags, such as {@code MS_BIND|MS_REC}; {@code 0} when none. */
  public static String mount(long flags) {
    return spell(flags, MOUNT, "0");
  }

  /** Clone and namespace flags, such as {@code CLONE_NEWUSER|CLONE_NEWNS}. */
  public static String clone(long flags) {
    return spell(flags, CLONE, "0");
  }

  /** Open flags, such as {@code O_RDONLY|O_CLOEXEC}. */
  public static String open(long flags) {
    String s = spell(flags, OPEN, "O_RDONLY");
    return (flags & 3) == 0 && flags != 0 ? "O_RDONLY|" + s : s;
  }

  private static String spell(long flags, Object[] table, String none) {
    if (flags == 0) {
      return none;
    }
    List<String> names = new ArrayList<>();
    long rest = flags;
    for (int i = 0; i < table.length; i += 2) {
      long bit = (Long) table[i];
      if ((rest & bit) == bit) {
        names.add((String) table[i + 1]);
        rest &= ~bit;
      }
    }
    if (rest != 0) {
      names.add("0x" + Long.toHexString(rest));
    }
    return String.join("|", names);
  }
}
