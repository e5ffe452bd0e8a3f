package dev.robojail.sandbox;

import java.nio.file.Path;
import java.util.Objects;

/** Where one of the command's standard streams goes. */
public sealed interface Stdio {
  /**
   * Calls the method of {@code visitor} that handles this kind of stream, and returns its result.
   */
  <R> R accept(Visitor<R> visitor);

  /**
   * One method per kind of stream, so that code that must handle every kind is told by the compiler
   * when a kind is added, without a pattern switch: each of those is bootstrapped at run time with
   * a class spun for it, which no AOT cache keeps.
   *
   * @param <R> what the visitor makes of a stream
   */
  interface Visitor<R> {
    /** Handles {@link Stdio#inherit()}. */
    R inherit();

    /** Handles {@link Stdio#pipe()}. */
    R pipe();

    /** Handles {@link Stdio#discard()}. */
    R discard();

    /** Handles a {@link File}. */
    R file(File file);

    /** Handles a {@link Descriptor}. */
    R descriptor(Descriptor descriptor);

    /** Handles a {@link Terminal}. */
    R terminal(Terminal terminal);
  }

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

  /**
   * A descriptor the caller opened (a pseudo-terminal's slave, say); the child gets a copy on 0, 1
   * or 2, and the caller keeps and closes its own.
   */
  static Stdio descriptor(int fd) {
    if (fd < 0) {
      throw new IllegalArgumentException("not a descriptor: " + fd);
    }
    return new Descriptor(fd);
  }

  /**
   * A pseudo-terminal of the sandbox's own, from its own {@code devpts} (the {@link Mount.Dev}
   * mount's {@code pts}): the child opens its {@code ptmx}, makes the terminal the controlling one
   * of its new session and hands the master side to the parent ({@link SandboxProcess#terminal()}).
   * Inside, {@code tty} names it ({@code /dev/pts/N}) and {@code ps} shows it; nothing of the
   * caller's terminal is inside. Every stream given this shares the one terminal.
   *
   * @param rows the terminal's height, or 0 to leave it unset
   * @param columns its width, or 0
   */
  static Stdio terminal(int rows, int columns) {
    if (rows < 0 || columns < 0 || rows > 0xffff || columns > 0xffff) {
      throw new IllegalArgumentException("not a terminal size: " + rows + "x" + columns);
    }
    return new Terminal(rows, columns);
  }

  /**
   * See {@link #terminal(int, int)}.
   *
   * @param rows the height, 0 for unset
   * @param columns the width, 0 for unset
   */
  record Terminal(int rows, int columns) implements Stdio {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.terminal(this);
    }
  }

  /**
   * See {@link #descriptor(int)}.
   *
   * @param fd the descriptor
   */
  record Descriptor(int fd) implements Stdio {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.descriptor(this);
    }
  }

  /** See {@link #inherit()}. */
  enum Inherit implements Stdio {
    INSTANCE;

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.inherit();
    }
  }

  /** See {@link #pipe()}. */
  enum Pipe implements Stdio {
    INSTANCE;

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.pipe();
    }
  }

  /** See {@link #discard()}. */
  enum Discard implements Stdio {
    INSTANCE;

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.discard();
    }
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

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.file(this);
    }
  }
}
