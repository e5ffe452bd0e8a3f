package dev.robojail.ffm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * {@code struct msghdr} with its {@code struct iovec} and {@code struct cmsghdr}, as far as
 * robojail uses them: to pass one descriptor ({@code SCM_RIGHTS}) with one byte of data over a UNIX
 * socket.
 */
public final class MsgHdr {
  public static final int SCM_RIGHTS = 1;

  /** {@code struct msghdr} (56 bytes on x86-64). */
  public static final StructLayout LAYOUT =
      MemoryLayout.structLayout(
          ADDRESS.withName("msg_name"),
          JAVA_INT.withName("msg_namelen"),
          MemoryLayout.paddingLayout(4),
          ADDRESS.withName("msg_iov"),
          JAVA_LONG.withName("msg_iovlen"),
          ADDRESS.withName("msg_control"),
          JAVA_LONG.withName("msg_controllen"),
          JAVA_INT.withName("msg_flags"),
          MemoryLayout.paddingLayout(4));

  /** {@code struct iovec}. */
  public static final StructLayout IOVEC =
      MemoryLayout.structLayout(ADDRESS.withName("iov_base"), JAVA_LONG.withName("iov_len"));

  /** {@code struct cmsghdr}; the data follows it, aligned to 8 bytes. */
  public static final StructLayout CMSGHDR =
      MemoryLayout.structLayout(
          JAVA_LONG.withName("cmsg_len"),
          JAVA_INT.withName("cmsg_level"),
          JAVA_INT.withName("cmsg_type"));

  static final long NAME = Structs.offset(LAYOUT, "msg_name");
  static final long IOV = Structs.offset(LAYOUT, "msg_iov");
  static final long IOVLEN = Structs.offset(LAYOUT, "msg_iovlen");
  static final long CONTROL = Structs.offset(LAYOUT, "msg_control");
  static final long CONTROLLEN = Structs.offset(LAYOUT, "msg_controllen");

  /** Where the descriptor lies in {@link #rights}: right after the header ({@code CMSG_DATA}). */
  public static final int RIGHTS_FD = (int) CMSGHDR.byteSize();

  /**
   * How many bytes {@link #rights} returns: {@code CMSG_SPACE(sizeof(int))}, which also leaves room
   * for the 8 bytes the setup runner stores into a slot at {@link #RIGHTS_FD}.
   */
  public static final int RIGHTS_BYTES = RIGHTS_FD + 8;

  private MsgHdr() {}

  /** A control message carrying descriptor {@code fd} ({@code SOL_SOCKET}, {@code SCM_RIGHTS}). */
  public static byte[] rights(int fd) {
    return Structs.bytes(
        RIGHTS_BYTES,
        s -> {
          s.set(JAVA_LONG, Structs.offset(CMSGHDR, "cmsg_len"), RIGHTS_FD + 4L); // CMSG_LEN(4)
          s.set(JAVA_INT, Structs.offset(CMSGHDR, "cmsg_level"), SockAddrIn.SOL_SOCKET);
          s.set(JAVA_INT, Structs.offset(CMSGHDR, "cmsg_type"), SCM_RIGHTS);
          s.set(JAVA_INT, RIGHTS_FD, fd);
        });
  }

  /**
   * A {@code struct msghdr} in {@code arena} for one byte at {@code data} and the control message
   * at {@code control} ({@link #RIGHTS_BYTES} long).
   */
  static MemorySegment message(Arena arena, MemorySegment data, MemorySegment control) {
    MemorySegment iov = arena.allocate(IOVEC);
    iov.set(ADDRESS, Structs.offset(IOVEC, "iov_base"), data);
    iov.set(JAVA_LONG, Structs.offset(IOVEC, "iov_len"), 1);
    MemorySegment msg = arena.allocate(LAYOUT);
    msg.set(ADDRESS, NAME, MemorySegment.NULL);
    msg.set(ADDRESS, IOV, iov);
    msg.set(JAVA_LONG, IOVLEN, 1);
    msg.set(ADDRESS, CONTROL, control);
    msg.set(JAVA_LONG, CONTROLLEN, RIGHTS_BYTES);
    return msg;
  }
}
