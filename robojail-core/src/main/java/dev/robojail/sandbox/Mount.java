package dev.robojail.sandbox;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * One element of the sandbox's root filesystem. The root itself is a fresh tmpfs; mounts are
 * applied in the order they were added, so a mount may go inside an earlier one.
 *
 * <p>Paths inside the sandbox ({@code target}) are absolute, in normal form, without {@code .} or
 * {@code ..} segments; this is checked when the spec is built.
 */
public sealed interface Mount {
  /** Where the element appears inside the sandbox. */
  String target();

  /** Calls the method of {@code visitor} that handles this kind of mount. */
  void accept(Visitor visitor);

  /**
   * One method per kind of mount, so that code that must handle every kind is told by the compiler
   * when a kind is added. A pattern switch over {@link Mount} checks the same, but each one is
   * bootstrapped at run time with a class spun for it, which no AOT cache keeps; robojail's own
   * code on the way to a start uses this instead.
   */
  interface Visitor {
    /** Handles a {@link Bind}. */
    void bind(Bind bind);

    /** Handles an {@link Overlay}. */
    void overlay(Overlay overlay);

    /** Handles a {@link Tmpfs}. */
    void tmpfs(Tmpfs tmpfs);

    /** Handles a {@link Proc}. */
    void proc(Proc proc);

    /** Handles a {@link Dev}. */
    void dev(Dev dev);

    /** Handles a {@link Dir}. */
    void dir(Dir dir);

    /** Handles a {@link Symlink}. */
    void symlink(Symlink symlink);

    /** Handles a {@link Cover}. */
    void cover(Cover cover);

    /** Handles a {@link File}. */
    void file(File file);
  }

  /**
   * A host file or directory made visible inside.
   *
   * @param source absolute host path
   * @param target path inside
   * @param readOnly whether writes are refused (recursively, for every mount below it too)
   * @param directory whether the source is a directory (else the mount point is a file); filled in
   *     from the source's real path when the spec is built, whatever was given
   */
  record Bind(Path source, String target, boolean readOnly, boolean directory) implements Mount {
    public Bind {
      Objects.requireNonNull(source);
      Objects.requireNonNull(target);
    }

    @Override
    public void accept(Visitor visitor) {
      visitor.bind(this);
    }

    /** A bind whose file type the spec finds out when it is built. */
    public Bind(Path source, String target, boolean readOnly) {
      this(source, target, readOnly, false);
    }
  }

  /**
   * A host directory seen read-only through an overlay whose writable layer is another host
   * directory: what is written inside lands in {@code upper}, the {@code lower} directory is never
   * written. The child opens each layer itself without following a symbolic link and hands it to
   * the kernel as a descriptor, so no path is ever parsed as overlay options. Whether the kernel
   * takes it (6.13 for layers given as descriptors; the lower's filesystem must allow it) is found
   * out only in the child: a refusal fails the setup with {@link SandboxException.OverlayRefused}.
   *
   * @param lower absolute host path of the read-only layer; resolved to its real path when the spec
   *     is built
   * @param upper absolute host path of the writable layer, used as given (a symbolic link in it
   *     fails the setup)
   * @param work absolute host path of the overlay's scratch directory, on the same filesystem as
   *     {@code upper} and outside it; used as given
   * @param target path inside
   */
  record Overlay(Path lower, Path upper, Path work, String target) implements Mount {
    public Overlay {
      Objects.requireNonNull(lower);
      Objects.requireNonNull(upper);
      Objects.requireNonNull(work);
      Objects.requireNonNull(target);
    }

    @Override
    public void accept(Visitor visitor) {
      visitor.overlay(this);
    }
  }

  /**
   * An empty in-memory filesystem.
   *
   * @param target path inside
   * @param sizeBytes its size limit, or 0 for the sandbox's {@link Sandbox.Limits#tmpfsSize()}
   * @param mode permissions of its root, such as {@code 01777} for {@code /tmp}
   */
  record Tmpfs(String target, long sizeBytes, int mode) implements Mount {
    public Tmpfs {
      Objects.requireNonNull(target);
    }

    @Override
    public void accept(Visitor visitor) {
      visitor.tmpfs(this);
    }
  }

  /**
   * A fresh {@code proc} for the sandbox's own PID namespace.
   *
   * @param target path inside, normally {@code /proc}
   */
  record Proc(String target) implements Mount {
    public Proc {
      Objects.requireNonNull(target);
    }

    @Override
    public void accept(Visitor visitor) {
      visitor.proc(this);
    }
  }

  /**
   * A minimal {@code /dev}: {@code null}, {@code zero}, {@code full}, {@code random}, {@code
   * urandom}, {@code tty}, a private {@code pts} instance with {@code ptmx}, {@code shm}, and the
   * {@code fd}, {@code stdin}, {@code stdout}, {@code stderr} links.
   *
   * @param target path inside, normally {@code /dev}
   */
  record Dev(String target) implements Mount {
    public Dev {
      Objects.requireNonNull(target);
    }

    @Override
    public void accept(Visitor visitor) {
      visitor.dev(this);
    }
  }

  /**
   * An empty directory.
   *
   * @param target path inside
   * @param mode its permissions
   */
  record Dir(String target, int mode) implements Mount {
    public Dir {
      Objects.requireNonNull(target);
    }

    @Override
    public void accept(Visitor visitor) {
      visitor.dir(this);
    }
  }

  /**
   * A symbolic link.
   *
   * @param linkTarget what the link points to, as seen inside
   * @param target where the link is
   */
  record Symlink(String linkTarget, String target) implements Mount {
    public Symlink {
      Objects.requireNonNull(linkTarget);
      Objects.requireNonNull(target);
    }

    @Override
    public void accept(Visitor visitor) {
      visitor.symlink(this);
    }
  }

  /**
   * Hides what an earlier bind shows at {@code target} behind an empty, read-only file or
   * directory, such as a host secret under a bound {@code /etc}. The target must exist in that bind
   * and be of the same kind; nothing is created for it.
   *
   * @param target path inside
   * @param directory whether the target is a directory (else anything that is not one)
   */
  record Cover(String target, boolean directory) implements Mount {
    public Cover {
      Objects.requireNonNull(target);
    }

    @Override
    public void accept(Visitor visitor) {
      visitor.cover(this);
    }
  }

  /**
   * A small file with the given content, such as a generated {@code /etc/passwd}. Inside a bound
   * directory (which is read-only, or the host's) it is mounted over the file already there, which
   * must exist; elsewhere it is created in the sandbox's root.
   *
   * @param target path inside
   * @param content its bytes
   * @param mode its permissions
   */
  record File(String target, byte[] content, int mode) implements Mount {
    public File {
      Objects.requireNonNull(target);
      content = content.clone();
    }

    @Override
    public void accept(Visitor visitor) {
      visitor.file(this);
    }

    @Override
    public byte[] content() {
      return content.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof File f
          && target.equals(f.target)
          && mode == f.mode
          && Arrays.equals(content, f.content);
    }

    @Override
    public int hashCode() {
      return Objects.hash(target, mode, Arrays.hashCode(content));
    }

    @Override
    public String toString() {
      return "File[target="
          + target
          + ", "
          + content.length
          + " bytes, mode=0"
          + Integer.toOctalString(mode)
          + "]";
    }
  }
}
