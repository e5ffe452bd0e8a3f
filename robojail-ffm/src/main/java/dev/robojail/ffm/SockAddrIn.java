package dev.robojail.ffm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.nio.ByteOrder;

/** {@code struct sockaddr_in}: an IPv4 address and port, both in network byte order. */
public final class SockAddrIn {
  public static final short AF_INET = 2;
  public static final int SOCK_STREAM = 1;
  public static final int SOCK_NONBLOCK = 0x800;
  public static final int SOCK_CLOEXEC = 0x80000;
  public static final int SOL_SOCKET = 1;
  public static final int SO_REUSEADDR = 2;

  /** The kernel's layout (16 bytes). */
  public static final StructLayout LAYOUT =
      MemoryLayout.structLayout(
          JAVA_SHORT.withName("sin_family"),
          JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN).withName("sin_port"),
          JAVA_INT.withOrder(ByteOrder.BIG_ENDIAN).withName("sin_addr"),
          MemoryLayout.sequenceLayout(8, JAVA_BYTE).withName("sin_zero"));

  /** {@code struct sockaddr_in6} (28 bytes): family, port, flow info, address, scope. */
  public static final StructLayout LAYOUT6 =
      MemoryLayout.structLayout(
          JAVA_SHORT.withName("sin6_family"),
          JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN).withName("sin6_port"),
          JAVA_INT.withName("sin6_flowinfo"),
          MemoryLayout.sequenceLayout(16, JAVA_BYTE).withName("sin6_addr"),
          JAVA_INT.withName("sin6_scope_id"));

  public static final short AF_INET6 = 10;

  private SockAddrIn() {}

  /**
   * The {@code sockaddr_in} for a 4-byte address or the {@code sockaddr_in6} for a 16-byte one,
   * with {@code port}.
   */
  public static byte[] of(byte[] address, int port) {
    if (address.length == 4) {
      return bytes(address, port);
    }
    if (address.length != 16 || port < 0 || port > 0xffff) {
      throw new IllegalArgumentException("not an IPv6 address and port");
    }
    return Structs.bytes(
        LAYOUT6.byteSize(),
        s -> {
          s.putShort((int) Structs.offset(LAYOUT6, "sin6_family"), AF_INET6);
          // the port in network byte order
          s.put((int) Structs.offset(LAYOUT6, "sin6_port"), (byte) (port >> 8));
          s.put((int) Structs.offset(LAYOUT6, "sin6_port") + 1, (byte) port);
          s.put((int) Structs.offset(LAYOUT6, "sin6_addr"), address);
        });
  }

  /** The struct for {@code address} (4 bytes, such as 127.0.0.1) and {@code port}. */
  public static byte[] bytes(byte[] address, int port) {
    if (address.length != 4 || port < 0 || port > 0xffff) {
      throw new IllegalArgumentException("not an IPv4 address and port");
    }
    return Structs.bytes(
        LAYOUT.byteSize(),
        s -> {
          s.putShort((int) Structs.offset(LAYOUT, "sin_family"), AF_INET);
          // the port in network byte order
          s.put((int) Structs.offset(LAYOUT, "sin_port"), (byte) (port >> 8));
          s.put((int) Structs.offset(LAYOUT, "sin_port") + 1, (byte) port);
          s.put((int) Structs.offset(LAYOUT, "sin_addr"), address);
        });
  }
}
