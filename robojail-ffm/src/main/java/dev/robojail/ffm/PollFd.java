package dev.robojail.ffm;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/** {@code struct pollfd} for {@code poll(2)}, and its event bits. */
public final class PollFd {
  public static final short POLLIN = 0x1;
  public static final short POLLOUT = 0x4;
  public static final short POLLERR = 0x8;
  public static final short POLLHUP = 0x10;
  public static final short POLLNVAL = 0x20;

  /** The kernel's layout. */
  public static final StructLayout LAYOUT =
      MemoryLayout.structLayout(
          JAVA_INT.withName("fd"), JAVA_SHORT.withName("events"), JAVA_SHORT.withName("revents"));

  static final long FD = Structs.offset(LAYOUT, "fd");
  static final long EVENTS = Structs.offset(LAYOUT, "events");
  static final long REVENTS = Structs.offset(LAYOUT, "revents");

  private PollFd() {}
}
