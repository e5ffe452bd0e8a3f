package dev.robojail.jail;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A host path to bind into every jail.
 *
 * @param source the absolute host path
 * @param target the absolute path inside the jail
 */
public record BindSpec(Path source, String target) {
  public BindSpec {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(target, "target");
    if (!source.isAbsolute()) {
      throw new IllegalArgumentException("bind source is not absolute: " + source);
    }
    if (!target.startsWith("/")) {
      throw new IllegalArgumentException("bind target is not absolute: " + target);
    }
  }

  /** A bind of a host path to the same path inside the jail. */
  public static BindSpec same(Path path) {
    return new BindSpec(path, path.toString());
  }
}
