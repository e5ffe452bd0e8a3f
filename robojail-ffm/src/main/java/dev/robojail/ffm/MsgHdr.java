package dev.robojail.ffm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
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
    // a heap buffer, not a segment's set: see Structs
    java.nio.ByteBuffer b =
        java.nio.ByteBuffer.allocate(RIGHTS_BYTES).order(java.nio.ByteOrder.nativeOrder());
    b.putLong((int) Structs.offset(CMSGHDR, "cmsg_len"), RIGHTS_FD + 4L); // CMSG_LEN(4)
    b.putInt((int) Structs.offset(CMSGHDR, "cmsg_level"), SockAddrIn.SOL_SOCKET);
    b.putInt((int) Structs.offset(CMSGHDR, "cmsg_type"), SCM_RIGHTS);
    b.putInt(RIGHTS_FD, fd);
    return b.array();
  }

  /**
   * A {@code struct msghdr} from {@code memory} for one byte at {@code data} and the control
   * message at {@code control} ({@link #RIGHTS_BYTES} long).
   */
  static MemorySegment message(SegmentAllocator memory, MemorySegment data, MemorySegment control) {
    // Every field is 8 bytes wide or padded to 8, so both structs are arrays of longs (see
    // Structs on why they are not set field by field); the name, its length and the flags are 0.
    long[] iov = new long[(int) (IOVEC.byteSize() / 8)];
    iov[(int) (Structs.offset(IOVEC, "iov_base") / 8)] = data.address();
    iov[(int) (Structs.offset(IOVEC, "iov_len") / 8)] = 1;
    long[] msg = new long[(int) (LAYOUT.byteSize() / 8)];
    msg[(int) (IOV / 8)] = Structs.longs(memory, iov).address();
    msg[(int) (IOVLEN / 8)] = 1;
    msg[(int) (CONTROL / 8)] = control.address();
    msg[(int) (CONTROLLEN / 8)] = RIGHTS_BYTES;
    return Structs.longs(memory, msg);
  }
}
