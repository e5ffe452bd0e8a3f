package dev.robojail.ffm;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

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

  // Read by copies, not var handles: each kind of var handle spins classes at its first use.
  private static final long CODE = Structs.offset(LAYOUT, "si_code");
  private static final long PID = Structs.offset(LAYOUT, "si_pid");
  private static final long STATUS = Structs.offset(LAYOUT, "si_status");

  static SigInfo read(MemorySegment s) {
    return new SigInfo(Structs.intAt(s, PID), Structs.intAt(s, CODE), Structs.intAt(s, STATUS));
  }

  /** The shell's convention: the exit code, or 128 + the signal that ended the process. */
  public int exitStatus() {
    return code == CLD_EXITED ? status : 128 + status;
  }
}
