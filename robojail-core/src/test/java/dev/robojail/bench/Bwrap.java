package dev.robojail.bench;

import dev.robojail.sandbox.Mount;
import dev.robojail.sandbox.Namespace;
import dev.robojail.sandbox.Sandbox;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The bubblewrap command line that sets up what a {@link Sandbox} spec sets up, for comparison. */
final class Bwrap {
  private Bwrap() {}

  static Optional<Path> find() {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      Path p = Path.of(dir, "bwrap");
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  static List<String> command(Path bwrap, Sandbox s) {
    List<String> a = new ArrayList<>(List.of(bwrap.toString(), "--unshare-user"));
    for (Namespace n : s.namespaces()) {
      switch (n) {
        case PID -> a.add("--unshare-pid");
        case IPC -> a.add("--unshare-ipc");
        case UTS -> a.add("--unshare-uts");
        case NET -> a.add("--unshare-net");
        case CGROUP -> a.add("--unshare-cgroup");
        default -> {}
      }
    }
    if (s.hostname() != null) {
      a.addAll(List.of("--hostname", s.hostname()));
    }
    a.addAll(
        List.of(
            "--uid",
            Integer.toString(s.identity().uid()),
            "--gid",
            Integer.toString(s.identity().gid())));
    if (s.lifecycle().dieWithParent()) {
      a.add("--die-with-parent");
    }
    if (s.lifecycle().newSession()) {
      a.add("--new-session");
    }
    a.add("--clearenv");
    s.environment().variables().forEach((k, v) -> a.addAll(List.of("--setenv", k, v)));
    for (Mount m : s.mounts()) {
      switch (m) {
        case Mount.Bind b ->
            a.addAll(
                List.of(b.readOnly() ? "--ro-bind" : "--bind", b.source().toString(), b.target()));
        case Mount.Tmpfs t -> {
          if (t.sizeBytes() > 0) {
            a.addAll(List.of("--size", Long.toString(t.sizeBytes())));
          }
          a.addAll(
              List.of("--perms", "0" + Integer.toOctalString(t.mode()), "--tmpfs", t.target()));
        }
        case Mount.Proc p -> a.addAll(List.of("--proc", p.target()));
        case Mount.Overlay o ->
            a.addAll(
                List.of(
                    "--overlay-src",
                    o.lower().toString(),
                    "--overlay",
                    o.upper().toString(),
                    o.work().toString(),
                    o.target()));
        case Mount.Dev d -> a.addAll(List.of("--dev", d.target()));
        case Mount.Dir d ->
            a.addAll(
                List.of("--perms", "0" + Integer.toOctalString(d.mode()), "--dir", d.target()));
        case Mount.Symlink l -> a.addAll(List.of("--symlink", l.linkTarget(), l.target()));
        case Mount.File f -> throw new UnsupportedOperationException("no files in the benchmark");
        // bubblewrap's own ways to hide a path: /dev/null over a file, a read-only tmpfs over a
        // directory.
        case Mount.Cover c when c.directory() ->
            a.addAll(List.of("--tmpfs", c.target(), "--remount-ro", c.target()));
        case Mount.Cover c -> a.addAll(List.of("--ro-bind", "/dev/null", c.target()));
      }
    }
    if (!s.security().writableRoot()) {
      a.addAll(List.of("--remount-ro", "/"));
    }
    a.addAll(List.of("--chdir", s.environment().workingDirectory()));
    a.addAll(s.command());
    return a;
  }
}
