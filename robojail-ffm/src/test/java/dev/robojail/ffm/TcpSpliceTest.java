package dev.robojail.ffm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The proxy's host side for real: TCP connections made by robojail, and splice through a pipe. */
class TcpSpliceTest {
  @Test
  void connectsOverIpv4AndIpv6AndSplicesBothWays() throws Exception {
    for (InetAddress loopback :
        new InetAddress[] {InetAddress.ofLiteral("127.0.0.1"), InetAddress.ofLiteral("::1")}) {
      try (ServerSocket server = new ServerSocket(0, 1, loopback)) {
        int fd = Syscalls.connectTcp(loopback.getAddress(), server.getLocalPort(), 5000);
        int[] pipe = Syscalls.pipe2(Syscalls.O_CLOEXEC);
        try (Socket peer = server.accept();
            Arena a = Arena.ofConfined()) {
          OutputStream out = peer.getOutputStream();
          out.write("to robojail".getBytes(StandardCharsets.UTF_8));
          out.flush();
          assertEquals(11, Syscalls.splice(fd, pipe[1], 1 << 16, Syscalls.SPLICE_F_MOVE));
          assertEquals(11, Syscalls.splice(pipe[0], fd, 11, Syscalls.SPLICE_F_MOVE));
          InputStream in = peer.getInputStream();
          assertEquals("to robojail", new String(in.readNBytes(11), StandardCharsets.UTF_8));
          Syscalls.setNonBlocking(fd, true);
          assertEquals(
              -1,
              Syscalls.splice(fd, pipe[1], 1 << 16, Syscalls.SPLICE_F_NONBLOCK),
              "nothing to read yet: EAGAIN, as -1");
          Syscalls.setNonBlocking(fd, false);
          peer.shutdownOutput();
          assertEquals(0, Syscalls.splice(fd, pipe[1], 1 << 16, 0), "EOF");
          MemorySegment b = a.allocateFrom(ValueLayout.JAVA_BYTE, new byte[] {'x'});
          assertEquals(1, Syscalls.write(fd, b, 1));
          assertEquals('x', in.read());
        } finally {
          Syscalls.close(fd);
          Syscalls.close(pipe[0]);
          Syscalls.close(pipe[1]);
        }
      }
    }
  }

  @Test
  void aRefusedConnectionNamesTheCallAndItsErrno() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    SyscallException e =
        assertThrows(
            SyscallException.class,
            () -> Syscalls.connectTcp(new byte[] {127, 0, 0, 1}, port, 5000));
    assertEquals(111, e.errno()); // ECONNREFUSED
    assertEquals("connect(AF_INET, port " + port + ")", e.call());
  }

  @Test
  void aPipeCanBeMadeLargerForFewerSplices() {
    int[] pipe = Syscalls.pipe2(Syscalls.O_CLOEXEC);
    try {
      assertEquals(1 << 20, Syscalls.setPipeSize(pipe[1], 1 << 20));
    } finally {
      Syscalls.close(pipe[0]);
      Syscalls.close(pipe[1]);
    }
  }

  @Test
  void aSocketsCongestionControlIsChosenByNameAndAnUnknownNameIsRefused() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int fd = Syscalls.connectTcp(new byte[] {127, 0, 0, 1}, server.getLocalPort(), 5000);
      try {
        // Reno is built into every kernel and allowed to every user; that the relay's sockets get
        // it, also as an unprivileged user, is read back with ss in core's ProxyPacingTest
        Syscalls.setsockopt(fd, Syscalls.IPPROTO_TCP, Syscalls.TCP_CONGESTION, "reno");
        SyscallException e =
            assertThrows(
                SyscallException.class,
                () ->
                    Syscalls.setsockopt(
                        fd, Syscalls.IPPROTO_TCP, Syscalls.TCP_CONGESTION, "no-such-cc"));
        assertEquals(2, e.errno()); // ENOENT
        assertEquals("setsockopt(" + fd + ", 6, 13, \"no-such-cc\")", e.call());
      } finally {
        Syscalls.close(fd);
      }
    }
  }
}
