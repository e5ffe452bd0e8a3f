package dev.robojail.ffm;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/** The structs of Landlock's system calls. */
public final class LandlockAttr {
  /**
   * {@code struct landlock_ruleset_attr} as of ABI 1 (8 bytes): later fields ({@code
   * handled_access_net}, {@code scoped}) are left out, and the kernel reads only the size it is
   * given.
   */
  public static final StructLayout RULESET =
      MemoryLayout.structLayout(JAVA_LONG.withName("handled_access_fs"));

  /** {@code struct landlock_ruleset_attr} as of ABI 6 (24 bytes), with {@code scoped}. */
  public static final StructLayout RULESET_SCOPED =
      MemoryLayout.structLayout(
          JAVA_LONG.withName("handled_access_fs"),
          JAVA_LONG.withName("handled_access_net"),
          JAVA_LONG.withName("scoped"));

  /**
   * {@code struct landlock_path_beneath_attr}, which the kernel declares packed: 12 bytes, the
   * descriptor unaligned after the 64-bit access mask.
   */
  public static final StructLayout PATH_BENEATH =
      MemoryLayout.structLayout(
          JAVA_LONG.withName("allowed_access"),
          JAVA_INT.withByteAlignment(1).withName("parent_fd"));

  /** Where {@code parent_fd} lies in {@link #PATH_BENEATH}. */
  public static final long PARENT_FD = Structs.offset(PATH_BENEATH, "parent_fd");

  /**
   * How many bytes {@link #pathBeneath} returns: more than {@link #PATH_BENEATH}, because the setup
   * runner stores a whole 64-bit step result into {@code parent_fd}, and those 8 bytes must stay
   * inside the struct's memory. The kernel reads only the first 12.
   */
  public static final int PATH_BENEATH_BYTES = 16;

  private LandlockAttr() {}

  /** A ruleset attribute that handles {@code handledAccessFs}. */
  public static byte[] ruleset(long handledAccessFs) {
    return Structs.bytes(
        RULESET.byteSize(),
        s -> s.putLong((int) Structs.offset(RULESET, "handled_access_fs"), handledAccessFs));
  }

  /**
   * A ruleset attribute that handles {@code handledAccessFs} and scopes {@code scoped} (for ABI 6
   * on; with 0, the ABI 1 attribute, which older kernels accept).
   */
  public static byte[] ruleset(long handledAccessFs, long scoped) {
    if (scoped == 0) {
      return ruleset(handledAccessFs);
    }
    return Structs.bytes(
        RULESET_SCOPED.byteSize(),
        s -> {
          s.putLong((int) Structs.offset(RULESET_SCOPED, "handled_access_fs"), handledAccessFs);
          s.putLong((int) Structs.offset(RULESET_SCOPED, "scoped"), scoped);
        });
  }

  /**
   * A path-beneath rule allowing {@code allowedAccess}, padded to {@link #PATH_BENEATH_BYTES}, with
   * {@code parent_fd} 0: the setup program fills it in (a slot embedded at {@link #PARENT_FD}).
   */
  public static byte[] pathBeneath(long allowedAccess) {
    return Structs.bytes(
        PATH_BENEATH_BYTES,
        s -> s.putLong((int) Structs.offset(PATH_BENEATH, "allowed_access"), allowedAccess));
  }
}
