package dev.robojail.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Checks a whole spec before anything is touched; each problem is one clear message. */
final class Validation {
  private static final int MAX_HOSTNAME = 64;
  private static final int MAX_PATH = 4095;

  private Validation() {}

  /**
   * The mounts of a builder, some of which (by identity) an earlier build already resolved: a spec
   * rebuilt with other streams (as a {@code run} does) or without its overlays. Those keep the real
   * path and file type found then, rather than being looked up again a moment later: the child
   * opens a bind's source without following any link, so a link planted in the meantime fails its
   * setup instead of being followed to somewhere else, and the checks made against that real path
   * (the hidden paths a jail masks) still hold for the path it mounts.
   */
  static final class Resolved extends AbstractList<Mount> {
    private final List<Mount> mounts;
    private final Set<Mount> resolved;

    Resolved(List<Mount> mounts, Set<Mount> resolved) {
      this.mounts = mounts;
      this.resolved = resolved;
    }

    @Override
    public Mount get(int index) {
      return mounts.get(index);
    }

    @Override
    public int size() {
      return mounts.size();
    }

    boolean resolved(Mount m) {
      return resolved.contains(m);
    }
  }

  /**
   * Checks the parts of a spec as a whole.
   *
   * @return the mounts, with every bind source resolved to its real path and file type
   */
  static List<Mount> check(
      List<String> command,
      Set<Namespace> ns,
      String host,
      Sandbox.Identity ids,
      List<Mount> mounts,
      Sandbox.Environment environment,
      Sandbox.Lifecycle lifecycle) {
    if (command.isEmpty() || command.getFirst().isEmpty()) {
      fail("no command to run");
    }
    for (String arg : command) {
      noNul("command argument", arg);
    }
    if (!ns.contains(Namespace.USER) || !ns.contains(Namespace.MOUNT)) {
      fail("the USER and MOUNT namespaces cannot be shared with the host");
    }
    if (host != null) {
      if (!ns.contains(Namespace.UTS)) {
        fail("a hostname needs the UTS namespace");
      }
      int len = host.getBytes(StandardCharsets.UTF_8).length;
      if (len == 0 || len > MAX_HOSTNAME) {
        fail("hostname must be 1-" + MAX_HOSTNAME + " bytes: \"" + host + "\"");
      }
      noNul("hostname", host);
    }
    if (lifecycle.controllingTerminal() && !lifecycle.newSession()) {
      fail("a controlling terminal needs a new session");
    }
    checkId("uid", ids.uid());
    checkId("gid", ids.gid());
    insidePath("working directory", environment.workingDirectory());

    Resolved carried = mounts instanceof Resolved r ? r : new Resolved(mounts, Set.of());
    Set<String> targets = new HashSet<>();
    MountCheck check = new MountCheck(ns, carried);
    for (Mount m : mounts) {
      String t = m.target();
      insidePath("mount target", t);
      if (t.equals("/")) {
        fail("nothing can be mounted on / (the root is the sandbox's own tmpfs)");
      }
      if (!targets.add(t) && !(m instanceof Mount.Bind)) {
        fail("two mounts at " + t);
      }
      m.accept(check);
    }
    for (Map.Entry<String, String> e : environment.variables().entrySet()) {
      String k = e.getKey();
      if (k.isEmpty() || k.indexOf('=') >= 0) {
        fail("invalid environment variable name: \"" + k + "\"");
      }
      noNul("environment variable " + k, k + e.getValue());
    }
    List<Mount> resolved = new ArrayList<>(mounts.size());
    for (Mount m : mounts) {
      if (carried.resolved(m)) {
        resolved.add(m);
      } else if (m instanceof Mount.Bind b) {
        resolved.add(resolve(b));
      } else if (m instanceof Mount.Overlay o) {
        resolved.add(resolve(o));
      } else {
        resolved.add(m);
      }
    }
    return List.copyOf(resolved);
  }

  /** The checks of each kind of mount on its own, given the mounts before it in order. */
  private static final class MountCheck implements Mount.Visitor {
    private final Set<Namespace> ns;
    private final Resolved carried;
    private final List<String> bindTargets = new ArrayList<>();

    MountCheck(Set<Namespace> ns, Resolved carried) {
      this.ns = ns;
      this.carried = carried;
    }

    @Override
    public void bind(Mount.Bind bind) {
      if (!bind.source().isAbsolute()) {
        fail("bind source must be an absolute path: " + bind.source());
      }
      noNul("bind source", bind.source().toString());
      if (!carried.resolved(bind) && !Files.exists(bind.source())) {
        fail("bind source does not exist: " + bind.source());
      }
      bindTargets.add(bind.target());
    }

    @Override
    public void proc(Mount.Proc p) {
      if (!ns.contains(Namespace.PID)) {
        fail("a fresh /proc needs the PID namespace (" + p.target() + ")");
      }
    }

    @Override
    public void tmpfs(Mount.Tmpfs tmp) {
      if (tmp.sizeBytes() < 0) {
        fail("tmpfs size cannot be negative: " + tmp.target());
      }
      mode(tmp.target(), tmp.mode());
    }

    @Override
    public void dir(Mount.Dir d) {
      mode(d.target(), d.mode());
    }

    @Override
    public void file(Mount.File f) {
      mode(f.target(), f.mode());
    }

    @Override
    public void symlink(Mount.Symlink l) {
      noNul("symlink target", l.linkTarget());
    }

    @Override
    public void dev(Mount.Dev d) {}

    @Override
    public void overlay(Mount.Overlay o) {
      for (Path layer : List.of(o.lower(), o.upper(), o.work())) {
        if (!layer.isAbsolute()) {
          fail("overlay layers must be absolute paths: " + layer);
        }
        noNul("overlay layer", layer.toString());
      }
      if (!carried.resolved(o) && !Files.isDirectory(o.lower())) {
        fail("overlay lower directory does not exist: " + o.lower());
      }
      Path upper = o.upper().normalize();
      Path work = o.work().normalize();
      if (work.startsWith(upper) || upper.startsWith(work)) {
        fail("an overlay's work directory and upper directory must not contain each other");
      }
    }

    @Override
    public void cover(Mount.Cover c) {
      for (String bound : bindTargets) {
        if (c.target().startsWith(bound + "/")) {
          return;
        }
      }
      fail("nothing to cover at " + c.target() + ": it is not inside an earlier bind");
    }
  }

  /**
   * The bind with its source resolved to the real path, which the child's mount will use, and with
   * that path's file type, which decides the kind of mount point the plan makes.
   */
  private static Mount.Bind resolve(Mount.Bind b) {
    try {
      Path real = b.source().toRealPath();
      return new Mount.Bind(real, b.target(), b.readOnly(), Files.isDirectory(real));
    } catch (IOException e) {
      throw new SandboxException.InvalidSpec("cannot resolve bind source " + b.source() + ": " + e);
    }
  }

  // The host's own links to its lower directory are trusted (a ~/.m2 that is a link to a data
  // disk):
  // the child then opens the real path without following any.
  private static Mount.Overlay resolve(Mount.Overlay o) {
    try {
      return new Mount.Overlay(o.lower().toRealPath(), o.upper(), o.work(), o.target());
    } catch (IOException e) {
      throw new SandboxException.InvalidSpec(
          "cannot resolve overlay lower " + o.lower() + ": " + e);
    }
  }

  private static void insidePath(String what, String p) {
    if (p == null || !p.startsWith("/")) {
      fail(what + " must be an absolute path: " + p);
    }
    noNul(what, p);
    if (p.length() > MAX_PATH) {
      fail(what + " is too long: " + p.substring(0, 40) + "…");
    }
    if (!p.equals("/") && (p.endsWith("/") || p.contains("//"))) {
      fail(what + " must be in normal form: " + p);
    }
    // In normal form, a . or .. segment lies between two slashes or after the last one.
    if (p.contains("/./") || p.contains("/../") || p.endsWith("/.") || p.endsWith("/..")) {
      fail(what + " must not contain . or .. segments: " + p);
    }
  }

  private static void mode(String target, int mode) {
    if ((mode & ~07777) != 0) {
      fail("invalid mode 0" + Integer.toOctalString(mode) + " for " + target);
    }
  }

  private static void checkId(String what, int id) {
    if (id < 0) {
      fail("invalid " + what + " inside: " + Integer.toUnsignedString(id));
    }
  }

  private static void noNul(String what, String s) {
    if (s.indexOf('\0') >= 0) {
      fail(what + " contains a NUL byte");
    }
  }

  private static void fail(String message) {
    throw new SandboxException.InvalidSpec(message);
  }
}
