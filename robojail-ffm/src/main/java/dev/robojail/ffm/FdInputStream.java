package dev.robojail.ffm;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/** An input stream over a raw descriptor that it owns, such as the read end of a pipe. */
public final class FdInputStream extends InputStream {
  private final int fd;
  private final AtomicBoolean closed = new AtomicBoolean();

  /** Takes ownership of {@code fd}: closing the stream closes it. */
  public FdInputStream(int fd) {
    this.fd = fd;
  }

  @Override
  public int read() throws IOException {
    byte[] b = new byte[1];
    int n = read(b, 0, 1);
    return n < 0 ? -1 : b[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    java.util.Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) {
      return 0;
    }
    if (closed.get()) {
      throw new IOException("stream closed");
    }
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment buf = arena.allocate(Math.min(len, 65536));
      int n = Syscalls.read(fd, buf, buf.byteSize());
      if (n == 0) {
        return -1;
      }
      MemorySegment.copy(buf, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, b, off, n);
      return n;
    } catch (SyscallException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  @Override
  public void close() throws IOException {
    if (closed.compareAndSet(false, true)) {
      try {
        Syscalls.close(fd);
      } catch (SyscallException e) {
        throw new IOException(e.getMessage(), e);
      }
    }
  }
}
