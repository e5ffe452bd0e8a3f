package dev.robojail.sandbox;

import java.nio.file.Path;
import java.util.Objects;

/** Where one of the command's standard streams goes. */
public sealed interface Stdio {
  /** The same stream as the JVM's. */
  static Stdio inherit() {
    return Inherit.INSTANCE;
  }

  /** A pipe to the {@link SandboxProcess}: its input, output or error stream. */
  static Stdio pipe() {
    return Pipe.INSTANCE;
  }

  /** Nothing: reads see end of file, writes are discarded. */
  static Stdio discard() {
    return Discard.INSTANCE;
  }

  /** A file on the host, opened by the parent (so the jail needs no access to it). */
  static Stdio file(Path path) {
    return new File(path.toAbsolutePath(), false);
  }

  /** A file on the host, appended to. */
  static Stdio appendTo(Path path) {
    return new File(path.toAbsolutePath(), true);
  }

  /** See {@link #inherit()}. */
  enum Inherit implements Stdio {
    INSTANCE
  }

  /** See {@link #pipe()}. */
  enum Pipe implements Stdio {
    INSTANCE
  }

  /** See {@link #discard()}. */
  enum Discard implements Stdio {
    INSTANCE
  }

  /**
   * See {@link #file(Path)}.
   *
   * @param path absolute path on the host
   * @param append whether output is appended rather than the file truncated
   */
  record File(Path path, boolean append) implements Stdio {
    public File {
      Objects.requireNonNull(path);
    }
  }
}
