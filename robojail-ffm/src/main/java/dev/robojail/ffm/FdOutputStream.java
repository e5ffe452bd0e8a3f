package dev.robojail.ffm;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/** An output stream over a raw descriptor that it owns, such as the write end of a pipe. */
public final class FdOutputStream extends OutputStream {
  private final int fd;
  private final AtomicBoolean closed = new AtomicBoolean();

  /** Takes ownership of {@code fd}: closing the stream closes it. */
  public FdOutputStream(int fd) {
    this.fd = fd;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (closed.get()) {
      throw new IOException("stream closed");
    }
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment buf = arena.allocate(Math.max(1, len));
      MemorySegment.copy(b, off, buf, ValueLayout.JAVA_BYTE, 0, len);
      long done = 0;
      while (done < len) {
        done += Syscalls.write(fd, buf.asSlice(done), len - done);
      }
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
