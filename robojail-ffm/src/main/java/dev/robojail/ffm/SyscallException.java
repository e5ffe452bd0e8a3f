package dev.robojail.ffm;

import java.io.Serial;

/**
 * A Linux system call failed. The message names the call, its arguments and the errno, such as
 * {@code mount("/usr", "/newroot/usr", NULL, MS_BIND|MS_REC, NULL): EPERM (Operation not
 * permitted)}, so that a reader knows what to check.
 */
public class SyscallException extends RuntimeException {
  @Serial private static final long serialVersionUID = 1L;

  private final String call;
  private final int errno;

  /**
   * @param call the call as it was made, such as {@code umount2("/mnt", MNT_DETACH)}
   * @param errno the positive errno value
   */
  public SyscallException(String call, int errno) {
    super(call + ": " + Errno.name(errno) + " (" + Errno.message(errno) + ")");
    this.call = call;
    this.errno = errno;
  }

  /** A failure with a message of the caller's, for results that are wrong without an errno. */
  protected SyscallException(String call, int errno, String message) {
    super(message);
    this.call = call;
    this.errno = errno;
  }

  /** The call as it was made: its name and arguments. */
  public String call() {
    return call;
  }

  /** The positive errno value, or 0 when the call did not fail with one. */
  public int errno() {
    return errno;
  }
}
