package dev.robojail.ffm;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * What {@code waitid(2)} says about a child: the fields of {@code siginfo_t} for SIGCHLD.
 *
 * @param pid the child, or 0 when nothing changed
 * @param code {@link #CLD_EXITED}, {@link #CLD_KILLED} or {@link #CLD_DUMPED}
 * @param status the exit code, or the signal that ended it
 */
public record SigInfo(int pid, int code, int status) {
  public static final int CLD_EXITED = 1;
  public static final int CLD_KILLED = 2;
  public static final int CLD_DUMPED = 3;

  /** {@code siginfo_t} is 128 bytes; the SIGCHLD fields of its union start at offset 16. */
  public static final StructLayout LAYOUT =
      MemoryLayout.structLayout(
          JAVA_INT.withName("si_signo"),
          JAVA_INT.withName("si_errno"),
          JAVA_INT.withName("si_code"),
          MemoryLayout.paddingLayout(4),
          JAVA_INT.withName("si_pid"),
          JAVA_INT.withName("si_uid"),
          JAVA_INT.withName("si_status"),
          MemoryLayout.paddingLayout(100));

  private static final VarHandle CODE = field("si_code");
  private static final VarHandle PID = field("si_pid");
  private static final VarHandle STATUS = field("si_status");

  private static VarHandle field(String name) {
    return LAYOUT.varHandle(MemoryLayout.PathElement.groupElement(name));
  }

  static SigInfo read(MemorySegment s) {
    return new SigInfo((int) PID.get(s, 0L), (int) CODE.get(s, 0L), (int) STATUS.get(s, 0L));
  }

  /** The shell's convention: the exit code, or 128 + the signal that ended the process. */
  public int exitStatus() {
    return code == CLD_EXITED ? status : 128 + status;
  }
}
