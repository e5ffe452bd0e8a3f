package dev.robojail.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

/**
 * Ready-made parts of a spec, kept apart from it: they look at the host when they are applied, and
 * only their result (plain mounts) goes into the spec.
 */
final class Presets {
  /** What {@link #minimalSystem} takes of the host's {@code /etc}, where present. */
  static final List<String> ETC =
      List.of(
          "ld.so.cache",
          "ld.so.conf",
          "ld.so.conf.d",
          "alternatives",
          "localtime",
          "nsswitch.conf",
          "hosts",
          "resolv.conf",
          "ssl",
          "ca-certificates",
          "pki",
          "crypto-policies");

  private Presets() {}

  /** See {@link Sandbox.Builder#minimalSystem()}. */
  static Sandbox.Builder minimalSystem(Sandbox.Builder b) {
    b.readOnlyBind(Path.of("/usr"));
    for (String dir : List.of("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")) {
      Path p = Path.of(dir);
      if (Files.isSymbolicLink(p)) {
        try {
          b.symlink(Files.readSymbolicLink(p).toString(), dir);
        } catch (IOException e) {
          throw new SandboxException.InvalidSpec("cannot read the link " + dir + ": " + e);
        }
      } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        b.readOnlyBind(p);
      }
    }
    for (String name : ETC) {
      Path p = Path.of("/etc", name);
      if (Files.exists(p)) {
        b.readOnlyBind(p);
      }
    }
    b.proc("/proc");
    b.dev("/dev");
    return b.tmpfs("/tmp", 0, 01777);
  }
}
