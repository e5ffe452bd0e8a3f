package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.SetupProgram;
import dev.robojail.ffm.SetupProgram.Arg;
import dev.robojail.ffm.SetupProgram.Step;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The plan is data: what the child will do, checked without privileges or namespaces, on made-up
 * hosts so that the plans do not depend on the machine the tests run on.
 */
class SetupPlanTest {
  /** A host with Landlock, no resource caps and robojail-init. */
  static final HostFacts HOST = new HostFacts(Long.MAX_VALUE, Long.MAX_VALUE, 7, 40, 3);

  /** The same host where robojail-init cannot be had. */
  static final HostFacts NO_INIT = new HostFacts(Long.MAX_VALUE, Long.MAX_VALUE, 7, 40, -1);

  private static List<String> calls(Sandbox s) {
    return calls(s, HOST);
  }

  private static List<String> calls(Sandbox s, HostFacts host) {
    return s.plan(host).steps().stream().map(Step::toString).toList();
  }

  private static int index(List<String> calls, String call) {
    int i = calls.indexOf(call);
    assertTrue(i >= 0, () -> call + " not in\n" + String.join("\n", calls));
    return i;
  }

  @Test
  void theRootIsBuiltAsideThenPivotedIntoAndTheHostDetached() {
    Sandbox spec = Sandbox.builder().command("/bin/true").build();
    List<String> c = calls(spec);
    int priv = index(c, "mount(NULL, \"/\", NULL, MS_REC|MS_PRIVATE, NULL)");
    int base = index(c, "mount(\"tmpfs\", \"/tmp\", \"tmpfs\", MS_NOSUID|MS_NODEV, \"mode=0755\")");
    int pivot1 = index(c, "pivot_root(\"/tmp\", \"/tmp/oldroot\")");
    int newroot =
        index(c, "mount(\"tmpfs\", \"/newroot\", \"tmpfs\", MS_NOSUID|MS_NODEV, \"mode=0755\")");
    int ro = index(c, "mount_setattr(AT_FDCWD, \"/newroot\", 0, {attr_set=MOUNT_ATTR_RDONLY}, 32)");
    int pivot2 = index(c, "pivot_root(\".\", \".\")");
    int detach = index(c, "umount2(\".\", MNT_DETACH)");
    assertTrue(
        priv < base
            && base < pivot1
            && pivot1 < newroot
            && newroot < ro
            && ro < pivot2
            && pivot2 < detach,
        String.join("\n", c));
    assertEquals(
        "execveat(fd(robojail-init), \"\", [\"robojail-init\", \"/bin/true\", \"--\","
            + " \"/bin/true\"], [], AT_EMPTY_PATH)",
        c.getLast());
    assertEquals("execve(\"/bin/true\", [\"/bin/true\"], [])", calls(spec, NO_INIT).getLast());
  }

  @Test
  void readOnlyBindsAreReadOnlyRecursivelyAndReadWriteOnesAreNot() {
    List<String> c =
        calls(
            Sandbox.builder()
                .readOnlyBind(Path.of("/usr"))
                .bind(Path.of("/var"), "/work")
                .command("/bin/true")
                .build());
    String ro = "{O_PATH|O_CLOEXEC, RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS}";
    int open = index(c, "src0 = openat2(AT_FDCWD, \"/oldroot/usr\", " + ro + ", 24)");
    int clone =
        index(
            c,
            "tree0 = open_tree(src0, \"\", "
                + "OPEN_TREE_CLONE|OPEN_TREE_CLOEXEC|AT_RECURSIVE|AT_EMPTY_PATH)");
    int sealed =
        index(
            c,
            "mount_setattr(tree0, \"\", AT_EMPTY_PATH|AT_RECURSIVE, "
                + "{attr_set=MOUNT_ATTR_RDONLY|MOUNT_ATTR_NOSUID}, 32)");
    int attached =
        index(c, "move_mount(tree0, \"\", AT_FDCWD, \"/newroot/usr\", MOVE_MOUNT_F_EMPTY_PATH)");
    assertTrue(open < clone && clone < sealed && sealed < attached, "read-only before attached");
    index(c, "src1 = openat2(AT_FDCWD, \"/oldroot/var\", " + ro + ", 24)");
    index(
        c,
        "mount_setattr(tree1, \"\", AT_EMPTY_PATH|AT_RECURSIVE, {attr_set=MOUNT_ATTR_NOSUID}, 32)");
    index(c, "move_mount(tree1, \"\", AT_FDCWD, \"/newroot/work\", MOVE_MOUNT_F_EMPTY_PATH)");
    assertFalse(c.stream().anyMatch(s -> s.startsWith("mount(\"/oldroot/usr")), "no path bind");
  }

  @Test
  void overlayLayersAreOpenedWithoutLinksAndGivenAsDescriptorsNeverAsOptionText(
      @org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    // Commas and colons separate overlay options and lower layers when they are text.
    Path lower = java.nio.file.Files.createDirectory(dir.resolve("lower,upperdir=:x"));
    Path upper = dir.resolve("up,per:1");
    Path work = dir.resolve("work");
    List<String> c =
        calls(Sandbox.builder().overlay(lower, upper, work, "/cache").command("/bin/true").build());
    String how = "{O_PATH|O_DIRECTORY|O_CLOEXEC, RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS}";
    int fs = index(c, "fs0 = fsopen(\"overlay\", FSOPEN_CLOEXEC)");
    int open = index(c, "lower0 = openat2(AT_FDCWD, \"/oldroot" + lower + "\", " + how + ", 24)");
    int lowerFd = index(c, "fsconfig(fs0, FSCONFIG_SET_FD, \"lowerdir+\", NULL, lower0)");
    index(c, "upper0 = openat2(AT_FDCWD, \"/oldroot" + upper + "\", " + how + ", 24)");
    index(c, "fsconfig(fs0, FSCONFIG_SET_FD, \"upperdir\", NULL, upper0)");
    index(c, "fsconfig(fs0, FSCONFIG_SET_FD, \"workdir\", NULL, work0)");
    index(c, "fsconfig(fs0, FSCONFIG_SET_FLAG, \"userxattr\", NULL, 0)");
    int create = index(c, "fsconfig(fs0, FSCONFIG_CMD_CREATE, NULL, NULL, 0)");
    int mount =
        index(c, "overlay0 = fsmount(fs0, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID|MOUNT_ATTR_NODEV)");
    int attach =
        index(
            c, "move_mount(overlay0, \"\", AT_FDCWD, \"/newroot/cache\", MOVE_MOUNT_F_EMPTY_PATH)");
    assertTrue(fs < open && open < lowerFd && lowerFd < create && create < mount && mount < attach);
    // No step passes a layer's path to the overlay itself.
    assertFalse(
        c.stream().anyMatch(s -> s.startsWith("fsconfig") && s.contains(dir.toString())),
        String.join("\n", c));
    List<Step> steps =
        Sandbox.builder()
            .overlay(lower, upper, work, "/cache")
            .command("/bin/true")
            .build()
            .plan(HOST)
            .steps();
    assertEquals(
        "overlay",
        steps.stream().filter(s -> s.name().equals("fsmount")).findFirst().orElseThrow().stage());
    assertEquals(
        "mounts",
        steps.stream()
            .filter(s -> s.name().equals("move_mount"))
            .findFirst()
            .orElseThrow()
            .stage());
    // Writes through the overlay are writes beneath a writable mount, for Landlock too.
    assertTrue(
        c.stream().anyMatch(s -> s.endsWith("openat(AT_FDCWD, \"/cache\", O_PATH|O_CLOEXEC)")),
        String.join("\n", c));
  }

  @Test
  void bindSourcesAreResolvedToRealPaths(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    Path real = java.nio.file.Files.createDirectory(dir.resolve("real"));
    Path link = java.nio.file.Files.createSymbolicLink(dir.resolve("link"), real);
    Sandbox s = Sandbox.builder().bind(link, "/x").command("/bin/true").build();
    assertEquals(real.toRealPath(), ((Mount.Bind) s.mounts().getFirst()).source());
  }

  @Test
  void noNetworkMeansLoopbackIsBroughtUpAndSharingMeansNoNamespace() {
    Sandbox off = Sandbox.builder().command("/bin/true").build();
    assertTrue(off.namespaces().contains(Namespace.NET));
    assertTrue(calls(off).stream().anyMatch(s -> s.contains("SIOCSIFFLAGS")));
    Sandbox on = Sandbox.builder().network(true).command("/bin/true").build();
    assertFalse(on.namespaces().contains(Namespace.NET));
    assertFalse(calls(on).stream().anyMatch(s -> s.contains("SIOCSIFFLAGS")));
  }

  @Test
  void commandsAreLookedUpOnTheSandboxPathLikeExecvp() {
    List<String> c =
        calls(Sandbox.builder().init(false).env("PATH", "/a:/b/").command("tool", "x").build());
    assertEquals(
        List.of(
            "execve(\"/a/tool\", [\"tool\", \"x\"], [\"PATH=/a:/b/\"]) [ok: ENOENT, EACCES,"
                + " ENOTDIR]",
            "execve(\"/b/tool\", [\"tool\", \"x\"], [\"PATH=/a:/b/\"])"),
        c.subList(c.size() - 2, c.size()));
  }

  @Test
  void withTheInitTheCommandIsLookedUpFirstThenTheInitTriesTheCandidatesInOrder() {
    List<String> c = calls(Sandbox.builder().env("PATH", "/a:/b/").command("tool", "x").build());
    assertEquals(
        List.of(
            "found command = openat(AT_FDCWD, \"/\", O_PATH|O_CLOEXEC)",
            "close(found command)",
            "found command = openat(AT_FDCWD, \"/b/tool\", O_PATH|O_CLOEXEC) [ok: ENOENT,"
                + " EACCES, ENOTDIR]",
            "found command = openat(AT_FDCWD, \"/a/tool\", O_PATH|O_CLOEXEC) [ok: ENOENT,"
                + " EACCES, ENOTDIR]",
            SetupPlan.COMMAND_LOOKUP,
            "execveat(fd(robojail-init), \"\", [\"robojail-init\", \"/a/tool\", \"/b/tool\","
                + " \"--\", \"tool\", \"x\"], [\"PATH=/a:/b/\"], AT_EMPTY_PATH)"),
        c.subList(c.size() - 6, c.size()));
  }

  @Test
  void thereIsNoInitWhenItIsOffOrThePidNamespaceIsShared() {
    String plain = "execve(\"/bin/true\", [\"/bin/true\"], [])";
    assertEquals(
        plain, calls(Sandbox.builder().init(false).command("/bin/true").build()).getLast());
    assertEquals(
        plain,
        calls(Sandbox.builder().share(Namespace.PID).command("/bin/true").build()).getLast());
    assertTrue(Sandbox.builder().command("/bin/true").build().lifecycle().init(), "on by default");
    assertFalse(
        Sandbox.builder().init(false).command("/bin/true").build().toBuilder()
            .build()
            .lifecycle()
            .init(),
        "copied");
  }

  @Test
  void privilegeAndSessionStepsComeLastBeforeExec() {
    List<String> c = calls(Sandbox.builder().hostname("h").command("/bin/true").build());
    int host = index(c, "sethostname(\"h\", 1)");
    int nnp = index(c, "prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)");
    int sid = index(c, "setsid()");
    int pdeath = index(c, "prctl(PR_SET_PDEATHSIG, SIGKILL)");
    int detach = index(c, "umount2(\".\", MNT_DETACH)");
    assertTrue(detach < host && host < sid && sid < pdeath && pdeath < nnp);
    List<String> off =
        calls(
            Sandbox.builder()
                .noNewPrivs(false)
                .newSession(false)
                .dieWithParent(false)
                .command("/bin/true")
                .build());
    assertFalse(
        off.stream()
            .anyMatch(
                s ->
                    s.startsWith("setsid")
                        || s.contains("PR_SET_NO_NEW_PRIVS")
                        || s.contains("PR_SET_PDEATHSIG")));
  }

  @Test
  void devHasTheMinimalNodesAndIsSealed() {
    List<String> c = calls(Sandbox.builder().dev("/dev").command("/bin/true").build());
    for (String d : List.of("null", "zero", "full", "random", "urandom", "tty")) {
      index(
          c, "mount(\"/oldroot/dev/" + d + "\", \"/newroot/dev/" + d + "\", NULL, MS_BIND, NULL)");
    }
    index(
        c,
        "mount(\"devpts\", \"/newroot/dev/pts\", \"devpts\", MS_NOSUID|MS_NOEXEC, "
            + "\"newinstance,ptmxmode=0666,mode=620\")");
    index(c, "symlinkat(\"pts/ptmx\", AT_FDCWD, \"/newroot/dev/ptmx\")");
    index(c, "symlinkat(\"/proc/self/fd\", AT_FDCWD, \"/newroot/dev/fd\")");
    index(c, "mount_setattr(AT_FDCWD, \"/newroot/dev\", 0, {attr_set=MOUNT_ATTR_RDONLY}, 32)");
  }

  @Test
  void parentsAreCreatedOnceInOrder() {
    List<String> c =
        calls(Sandbox.builder().tmpfs("/a/b/c").dir("/a/b/d", 0700).command("/bin/true").build());
    List<String> mkdirs = c.stream().filter(s -> s.startsWith("mkdirat")).toList();
    assertEquals(
        List.of(
            "mkdirat(AT_FDCWD, \"/tmp/newroot\", 0755) [ok: EEXIST]",
            "mkdirat(AT_FDCWD, \"/tmp/oldroot\", 0755) [ok: EEXIST]",
            "mkdirat(AT_FDCWD, \"/newroot/a\", 0755) [ok: EEXIST]",
            "mkdirat(AT_FDCWD, \"/newroot/a/b\", 0755) [ok: EEXIST]",
            "mkdirat(AT_FDCWD, \"/newroot/a/b/c\", 0755) [ok: EEXIST]",
            "mkdirat(AT_FDCWD, \"/newroot/a/b/d\", 0700) [ok: EEXIST]"),
        mkdirs);
  }

  static Stream<Arguments> invalidSpecs() {
    return Stream.<Object[]>of(
            new Object[] {
              "no command",
              (UnaryOperator<Sandbox.Builder>) b -> b.command(List.of()),
              "no command to run"
            },
            new Object[] {
              "relative target",
              (UnaryOperator<Sandbox.Builder>) b -> b.tmpfs("tmp"),
              "mount target must be an absolute path: tmp"
            },
            new Object[] {
              "dot-dot",
              (UnaryOperator<Sandbox.Builder>) b -> b.tmpfs("/a/../etc"),
              "mount target must not contain . or .. segments: /a/../etc"
            },
            new Object[] {
              "a dot segment",
              (UnaryOperator<Sandbox.Builder>) b -> b.tmpfs("/a/./etc"),
              "mount target must not contain . or .. segments: /a/./etc"
            },
            new Object[] {
              "a dot-dot segment last",
              (UnaryOperator<Sandbox.Builder>) b -> b.tmpfs("/a/.."),
              "mount target must not contain . or .. segments: /a/.."
            },
            new Object[] {
              "a dot segment last",
              (UnaryOperator<Sandbox.Builder>) b -> b.workingDirectory("/."),
              "working directory must not contain . or .. segments: /."
            },
            new Object[] {
              "trailing slash",
              (UnaryOperator<Sandbox.Builder>) b -> b.tmpfs("/a/"),
              "mount target must be in normal form: /a/"
            },
            new Object[] {
              "mount on root",
              (UnaryOperator<Sandbox.Builder>) b -> b.tmpfs("/"),
              "nothing can be mounted on / (the root is the sandbox's own tmpfs)"
            },
            new Object[] {
              "missing source",
              (UnaryOperator<Sandbox.Builder>) b -> b.bind(Path.of("/no/such/dir"), "/x"),
              "bind source does not exist: /no/such/dir"
            },
            new Object[] {
              "relative source",
              (UnaryOperator<Sandbox.Builder>) b -> b.bind(Path.of("usr"), "/x"),
              "bind source must be an absolute path: usr"
            },
            new Object[] {
              "proc without pid ns",
              (UnaryOperator<Sandbox.Builder>) b -> b.share(Namespace.PID).proc("/proc"),
              "a fresh /proc needs the PID namespace (/proc)"
            },
            new Object[] {
              "hostname without uts",
              (UnaryOperator<Sandbox.Builder>) b -> b.share(Namespace.UTS).hostname("h"),
              "a hostname needs the UTS namespace"
            },
            new Object[] {
              "long hostname",
              (UnaryOperator<Sandbox.Builder>) b -> b.hostname("h".repeat(65)),
              "hostname must be 1-64 bytes: \"hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh\""
            },
            new Object[] {
              "sharing the user ns",
              (UnaryOperator<Sandbox.Builder>) b -> b.share(Namespace.USER),
              "the USER and MOUNT namespaces cannot be shared with the host"
            },
            new Object[] {
              "bad env name",
              (UnaryOperator<Sandbox.Builder>) b -> b.env("A=B", "c"),
              "invalid environment variable name: \"A=B\""
            },
            new Object[] {
              "NUL in argument",
              (UnaryOperator<Sandbox.Builder>) b -> b.command("/bin/echo", "a\0b"),
              "command argument contains a NUL byte"
            },
            new Object[] {
              "relative workdir",
              (UnaryOperator<Sandbox.Builder>) b -> b.workingDirectory("work"),
              "working directory must be an absolute path: work"
            },
            new Object[] {
              "negative uid",
              (UnaryOperator<Sandbox.Builder>) b -> b.uid(-1),
              "invalid uid inside: 4294967295"
            },
            new Object[] {
              "bad mode",
              (UnaryOperator<Sandbox.Builder>) b -> b.tmpfs("/t", 0, 010000),
              "invalid mode 010000 for /t"
            },
            new Object[] {
              "a cover inside no bind",
              (UnaryOperator<Sandbox.Builder>)
                  b -> b.tmpfs("/t").mount(new Mount.Cover("/t/secret", false)),
              "nothing to cover at /t/secret: it is not inside an earlier bind"
            },
            new Object[] {
              "a cover before the bind it is in",
              (UnaryOperator<Sandbox.Builder>)
                  b -> b.mount(new Mount.Cover("/etc/shadow", false)).readOnlyBind(Path.of("/etc")),
              "nothing to cover at /etc/shadow: it is not inside an earlier bind"
            },
            new Object[] {
              "a cover beside a bind whose name it starts with",
              (UnaryOperator<Sandbox.Builder>)
                  b ->
                      b.readOnlyBind(Path.of("/etc"))
                          .tmpfs("/etcx")
                          .mount(new Mount.Cover("/etcx/shadow", false)),
              "nothing to cover at /etcx/shadow: it is not inside an earlier bind"
            },
            new Object[] {
              "duplicate tmpfs",
              (UnaryOperator<Sandbox.Builder>) b -> b.tmpfs("/t").tmpfs("/t"),
              "two mounts at /t"
            })
        .map(a -> Arguments.of(a[0], a[1], a[2]));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidSpecs")
  void invalidSpecsAreRefusedBeforeAnythingIsTouched(
      String why, UnaryOperator<Sandbox.Builder> change, String message) {
    Sandbox.Builder b = Sandbox.builder().command("/bin/true");
    SandboxException.InvalidSpec e =
        assertThrows(SandboxException.InvalidSpec.class, () -> change.apply(b).build());
    assertEquals(message, e.getMessage());
  }

  static Stream<Long> seeds() {
    return new Random(4242).longs(40).boxed();
  }

  /**
   * Property: a target in normal form is refused for its dot segments exactly when one of the
   * segments between its slashes is {@code .} or {@code ..}, whatever else is in them.
   */
  @ParameterizedTest
  @MethodSource("seeds")
  void aTargetIsRefusedForItsDotSegmentsExactlyWhenOneIsDotOrDotDot(long seed) {
    Random r = new Random(seed);
    String[] pieces = {".", "..", "...", ".a", "a.", "a", "..b"};
    for (int i = 0; i < 50; i++) {
      StringBuilder p = new StringBuilder();
      for (int d = 0, depth = 1 + r.nextInt(4); d < depth; d++) {
        p.append('/').append(pieces[r.nextInt(pieces.length)]);
      }
      String target = p.toString();
      boolean dotted = false;
      for (String segment : target.substring(1).split("/")) {
        dotted |= segment.equals(".") || segment.equals("..");
      }
      Sandbox.Builder b = Sandbox.builder().command("/bin/true").tmpfs(target);
      if (dotted) {
        SandboxException.InvalidSpec e = assertThrows(SandboxException.InvalidSpec.class, b::build);
        assertEquals("mount target must not contain . or .. segments: " + target, e.getMessage());
      } else {
        assertEquals(target, b.build().mounts().getFirst().target());
      }
    }
  }

  /**
   * Property: whatever mounts a spec has, every path the child touches before the final pivot is
   * under the new root, the old root or the base tmpfs; nothing of the host is written.
   */
  @ParameterizedTest
  @MethodSource("seeds")
  void theChildOnlyWritesUnderTheNewRoot(long seed) {
    Random r = new Random(seed);
    Sandbox.Builder b = Sandbox.builder().command("/bin/true");
    List<String> names = List.of("a", "b", "usr", "etc", "x y", "tmp", "ü");
    int n = 1 + r.nextInt(8);
    List<String> bound = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      StringBuilder p = new StringBuilder();
      for (int d = 0, depth = 1 + r.nextInt(3); d < depth; d++) {
        p.append('/').append(names.get(r.nextInt(names.size())));
      }
      String t = p.toString() + i;
      switch (bound.isEmpty() ? r.nextInt(5) : r.nextInt(7)) {
        case 0 -> {
          b.readOnlyBind(Path.of("/usr"), t);
          bound.add(t);
        }
        case 5 -> b.file(bound.get(r.nextInt(bound.size())) + "/over" + i, "over " + i, 0644);
        case 6 -> b.mount(new Mount.Cover(bound.get(r.nextInt(bound.size())) + "/c" + i, false));
        case 1 -> b.tmpfs(t, r.nextInt(1 << 20), 0755);
        case 2 -> b.dir(t, 0700);
        case 3 -> b.symlink("../" + i, t);
        default -> b.file(t, "content " + i, 0644);
      }
    }
    SetupProgram plan = b.build().plan(HOST);
    List<String> writes = new ArrayList<>();
    for (Step s : plan.steps()) {
      if (s.name().equals("pivot_root") && s.args().getFirst().toString().equals("\".\"")) {
        break;
      }
      switch (s.name()) {
        case "mkdirat", "openat" -> {
          String w = str(s.args().get(1));
          writes.add(w);
          for (String t : bound) {
            assertFalse(w.startsWith("/newroot" + t + "/"), "written in a bind: " + s);
          }
        }
        case "symlinkat" -> writes.add(str(s.args().get(2)));
        case "move_mount" -> writes.add(str(s.args().get(3)));
        case "openat2" -> assertTrue(str(s.args().get(1)).startsWith("/oldroot/"), s.toString());
        case "mount" -> {
          writes.add(str(s.args().get(1)));
          if (s.args().get(0) instanceof Arg.Str src && src.value().startsWith("/")) {
            assertTrue(
                src.value().startsWith("/oldroot/") || src.value().startsWith("/stage/"),
                s.toString());
          }
        }
        default -> {}
      }
    }
    for (String w : writes) {
      assertTrue(
          w.equals("/")
              || w.equals("/tmp")
              || w.equals("/stage")
              || w.startsWith("/stage/")
              || w.startsWith("/tmp/newroot")
              || w.startsWith("/tmp/oldroot")
              || w.equals("/newroot")
              || w.startsWith("/newroot/"),
          w + " in\n" + plan);
    }
  }

  private static String str(Arg a) {
    return a instanceof Arg.Str s ? s.value() : a.toString();
  }

  @Test
  void capabilitiesAreDroppedAfterSetupAndTheFilterComesJustBeforeExec() {
    List<String> c = calls(Sandbox.builder().hostname("h").command("/bin/true").build());
    long drops = c.stream().filter(s -> s.startsWith("prctl(PR_CAPBSET_DROP")).count();
    assertEquals(HOST.lastCapability() + 1, drops);
    int host = index(c, "sethostname(\"h\", 1)");
    int bits =
        c.indexOf(
            c.stream()
                .filter(s -> s.startsWith("prctl(PR_SET_SECUREBITS"))
                .findFirst()
                .orElseThrow());
    int capset = index(c, "capset({_LINUX_CAPABILITY_VERSION_3, 0}, {{0, 0, 0}, {0, 0, 0}})");
    int seccomp =
        c.indexOf(c.stream().filter(s -> s.startsWith("seccomp(")).findFirst().orElseThrow());
    assertTrue(host < bits && bits < capset && capset < seccomp, String.join("\n", c));
    // after the filter: only the command's lookup (with the init), then the exec
    for (String call : c.subList(seccomp + 1, c.size() - 1)) {
      assertTrue(
          call.startsWith("found command = openat(AT_FDCWD,")
              || call.equals("close(found command)")
              || call.equals(SetupPlan.COMMAND_LOOKUP),
          call);
    }
    assertTrue(c.getLast().startsWith("execve"), c.getLast());
    index(c, "prlimit64(0, RLIMIT_CORE, {0, 0}, NULL)");
    List<String> root = calls(Sandbox.builder().rootInside().command("/bin/true").build());
    assertFalse(root.stream().anyMatch(s -> s.startsWith("capset") || s.contains("CAPBSET")));
    assertTrue(root.stream().anyMatch(s -> s.startsWith("seccomp(")), "the filter stays");
  }

  @Test
  void landlockAllowsWritesOnlyBeneathWritableMounts() {
    Sandbox spec =
        Sandbox.builder()
            .readOnlyBind(Path.of("/usr"))
            .bind(Path.of("/var"), "/work")
            .tmpfs("/tmp")
            .command("/bin/true")
            .build();
    List<String> c = calls(spec);
    int create =
        c.indexOf(
            c.stream()
                .filter(s -> s.contains("landlock_create_ruleset"))
                .findFirst()
                .orElseThrow());
    List<String> opened =
        c.subList(create, c.size()).stream()
            .takeWhile(s -> !s.startsWith("landlock_restrict_self"))
            .filter(s -> s.contains("O_PATH"))
            .map(s -> s.split("\"")[1])
            .toList();
    assertEquals(List.of("/work", "/tmp"), opened);
    int restrict = index(c, "landlock_restrict_self(ruleset, 0)");
    int seccomp =
        c.indexOf(c.stream().filter(s -> s.startsWith("seccomp(")).findFirst().orElseThrow());
    assertTrue(restrict < seccomp);
    assertTrue(
        c.stream()
            .anyMatch(
                s ->
                    s.startsWith(
                        "landlock_add_rule(ruleset, LANDLOCK_RULE_PATH_BENEATH, {allowed_access=writes, parent_fd=fd")));
    assertFalse(
        calls(Sandbox.builder().landlock(false).command("/bin/true").build()).stream()
            .anyMatch(s -> s.contains("landlock")));
    HostFacts noLandlock = new HostFacts(Long.MAX_VALUE, Long.MAX_VALUE, 0, 40, 3);
    assertFalse(
        calls(spec, noLandlock).stream().anyMatch(s -> s.contains("landlock")),
        "a kernel without Landlock gets no ruleset");
  }

  @Test
  void everyStepIsTaggedWithItsStageAndThePrintedPlanShowsIt() {
    SetupProgram plan =
        Sandbox.builder()
            .tmpfs("/t")
            .hostname("h")
            .openFiles(64)
            .stdout(Stdio.pipe())
            .command("/bin/true")
            .build()
            .plan(HOST);
    List<String> stages = new ArrayList<>();
    for (Step step : plan.steps()) {
      assertTrue(step.stage() != null, step.toString());
      if (stages.isEmpty() || !stages.getLast().equals(step.stage())) {
        stages.add(step.stage());
      }
    }
    assertEquals(
        List.of(
            "network",
            "root",
            "mounts",
            "process",
            "privileges",
            "limits",
            "privileges",
            "stdio",
            "landlock",
            "seccomp",
            "lookup",
            "init"),
        stages);
    String printed = plan.toString();
    assertTrue(
        printed.contains(": [root] mount(NULL, \"/\", NULL, MS_REC|MS_PRIVATE, NULL)\n"), printed);
    assertTrue(
        printed.contains(
            ": [mounts] mount(\"tmpfs\", \"/newroot/t\", \"tmpfs\", MS_NOSUID|MS_NODEV,"
                + " \"mode=0755,size=1073741824\")\n"),
        printed);
    assertTrue(printed.contains(": [stdio] dup3(stdout, 1, 0)\n"), printed);
    assertEquals(
        List.of("exec"),
        Sandbox.builder().command("/bin/true").build().plan(NO_INIT).steps().stream()
            .map(Step::stage)
            .dropWhile(st -> !st.equals("exec"))
            .distinct()
            .toList(),
        "without the init the plan ends in the exec stage");
  }

  @Test
  void thePlanIsAPureFunctionOfTheSpecAndTheHostFacts() {
    Sandbox spec =
        Sandbox.builder()
            .readOnlyBind(Path.of("/usr"))
            .bind(Path.of("/var"), "/work")
            .file("/etc/motd", "hi", 0644)
            .dev("/dev")
            .openFiles(100)
            .command("tool")
            .build();
    assertEquals(canonical(spec.plan(HOST)), canonical(spec.plan(HOST)));
    assertEquals(spec.plan(HOST).toString(), spec.plan(HOST).toString());
    assertFalse(
        canonical(spec.plan(HOST)).equals(canonical(spec.plan(NO_INIT))), "the facts count");
  }

  /**
   * A step as plain values, with slots by name: slots are compared by identity, so two plans made
   * separately never compare equal as objects.
   */
  private static List<List<Object>> canonical(SetupProgram plan) {
    List<List<Object>> out = new ArrayList<>();
    for (Step s : plan.steps()) {
      List<Object> args = new ArrayList<>();
      for (Arg a : s.args()) {
        args.add(
            switch (a) {
              case Arg.Bytes b -> List.of(java.util.HexFormat.of().formatHex(b.data()), b.shown());
              case Arg.Bpf b -> List.of(java.util.HexFormat.of().formatHex(b.instructions()));
              case Arg.Embedding e ->
                  List.of(java.util.HexFormat.of().formatHex(e.data()), e.offset(), e.toString());
              case Arg.Result r -> "result " + r.slot();
              default -> a;
            });
      }
      out.add(
          java.util.Arrays.asList(
              s.name(),
              s.nr(),
              args,
              s.tolerated(),
              String.valueOf(s.resultTo()),
              s.expected(),
              s.stage()));
    }
    return out;
  }

  @Test
  void resourceLimitsAreCappedAtTheHostsHardLimits() {
    Sandbox spec = Sandbox.builder().openFiles(4096).processes(100).command("/bin/true").build();
    List<String> capped = calls(spec, new HostFacts(512, 50, 7, 40, 3));
    index(capped, "prlimit64(0, RLIMIT_NOFILE, {512, 512}, NULL)");
    index(capped, "prlimit64(0, RLIMIT_NPROC, {50, 50}, NULL)");
    List<String> free = calls(spec);
    index(free, "prlimit64(0, RLIMIT_NOFILE, {4096, 4096}, NULL)");
    index(free, "prlimit64(0, RLIMIT_NPROC, {100, 100}, NULL)");
  }

  @Test
  void filesAndCoversOverABindAreStagedReadOnlyAndMountedOverWhatIsThere() {
    Sandbox spec =
        Sandbox.builder()
            .readOnlyBind(Path.of("/usr"), "/etc")
            .file("/etc/passwd", "me:x:1:1::/:/bin/sh\n", 0644)
            .mount(new Mount.Cover("/etc/shadow", false))
            .mount(new Mount.Cover("/etc/ssl/private", true))
            .file("/home/note", "in the root", 0644)
            .command("/bin/true")
            .build();
    List<String> c = calls(spec);
    int stage =
        index(
            c,
            "mount(\"tmpfs\", \"/stage\", \"tmpfs\", MS_NOSUID|MS_NODEV|MS_NOEXEC, \"mode=0755\")");
    int content =
        index(c, "fd0 = openat(AT_FDCWD, \"/stage/0\", O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, 0644)");
    int empty =
        index(
            c, "fd1 = openat(AT_FDCWD, \"/stage/empty\", O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, 0444)");
    int dir = index(c, "mkdirat(AT_FDCWD, \"/stage/empty-dir\", 0555) [ok: EEXIST]");
    int ro = index(c, "mount_setattr(AT_FDCWD, \"/stage\", 0, {attr_set=MOUNT_ATTR_RDONLY}, 32)");
    int etc =
        c.indexOf(c.stream().filter(x -> x.startsWith("move_mount(")).findFirst().orElseThrow());
    int passwd = index(c, "mount(\"/stage/0\", \"/newroot/etc/passwd\", NULL, MS_BIND, NULL)");
    int shadow = index(c, "mount(\"/stage/empty\", \"/newroot/etc/shadow\", NULL, MS_BIND, NULL)");
    index(c, "mount(\"/stage/empty-dir\", \"/newroot/etc/ssl/private\", NULL, MS_BIND, NULL)");
    assertTrue(c.stream().anyMatch(x -> x.contains("openat(AT_FDCWD, \"/newroot/home/note\"")));
    assertTrue(stage < content && content < empty && empty < dir && dir < ro, String.join("\n", c));
    assertTrue(ro < etc && etc < passwd && passwd < shadow, String.join("\n", c));
    assertTrue(
        c.stream().noneMatch(x -> x.contains("\"/newroot/etc/passwd\", O_")),
        "written in the bind");
  }

  @Test
  void aCoverNeedsAnEarlierBindToCover() {
    Sandbox.Builder b =
        Sandbox.builder().mount(new Mount.Cover("/etc/shadow", false)).command("/bin/true");
    assertThrows(SandboxException.InvalidSpec.class, b::build);
  }

  @Test
  void aBoundFileGetsAFileAsItsMountPoint(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    Path file = java.nio.file.Files.writeString(dir.resolve("f"), "x");
    Sandbox s = Sandbox.builder().readOnlyBind(file, "/f").command("/bin/true").build();
    Mount.Bind b = (Mount.Bind) s.mounts().getFirst();
    assertFalse(b.directory());
    assertTrue(
        ((Mount.Bind)
                Sandbox.builder().bind(dir, "/d").command("/bin/true").build().mounts().getFirst())
            .directory());
    List<String> c = calls(s);
    int touch =
        index(
            c,
            "fd1 = openat(AT_FDCWD, \"/newroot/f\", O_RDONLY|O_CREAT|O_NOFOLLOW|O_CLOEXEC, 0644)");
    int attach =
        index(c, "move_mount(tree0, \"\", AT_FDCWD, \"/newroot/f\", MOVE_MOUNT_F_EMPTY_PATH)");
    assertTrue(touch < attach);
    assertFalse(c.contains("mkdirat(AT_FDCWD, \"/newroot/f\", 0755) [ok: EEXIST]"));
  }

  @Test
  void buildLeavesItsBuilderAsItWas(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Path first = java.nio.file.Files.createDirectory(dir.resolve("first"));
    Path second = java.nio.file.Files.createDirectory(dir.resolve("second"));
    Path link = java.nio.file.Files.createSymbolicLink(dir.resolve("link"), first);
    Sandbox.Builder b = Sandbox.builder().bind(link, "/x").command("/bin/true");
    assertEquals(first.toRealPath(), ((Mount.Bind) b.build().mounts().getFirst()).source());
    // Had build() kept the resolved path in the builder, the next build would not see the change.
    java.nio.file.Files.delete(link);
    java.nio.file.Files.createSymbolicLink(link, second);
    assertEquals(second.toRealPath(), ((Mount.Bind) b.build().mounts().getFirst()).source());
    assertEquals(b.build(), b.build());
  }

  @Test
  void toBuilderCopiesEveryPartOfTheSpec() {
    Sandbox s =
        Sandbox.builder()
            .command("/bin/echo", "x")
            .share(Namespace.UTS)
            .unshare(Namespace.CGROUP)
            .uid(7)
            .gid(8)
            .tmpfs("/t", 4096, 0700)
            .file("/f", "content", 0600)
            .workingDirectory("/t")
            .env("A", "1")
            .env("B", "2")
            .stdin(Stdio.discard())
            .stdout(Stdio.pipe())
            .stderr(Stdio.pipe())
            .redirectErrorStream(true)
            .noNewPrivs(false)
            .rootInside()
            .allowPtrace(true)
            .allowUserNamespaces(true)
            .landlock(false)
            .writableRoot(true)
            .coreLimit(1)
            .openFiles(2)
            .processes(3)
            .memory(4)
            .tmpfsSize(5)
            .newSession(false)
            .dieWithParent(false)
            .init(false)
            .build();
    assertEquals(s, s.toBuilder().build());
    assertEquals(new Sandbox.Identity(0, 0), s.identity());
    assertEquals(List.of("A", "B"), List.copyOf(s.environment().variables().keySet()));
    assertFalse(
        Sandbox.builder()
            .env("TOKEN", "s3cret")
            .command("/bin/true")
            .build()
            .toString()
            .contains("s3cret"),
        "a spec in a log does not show the environment's values");
    assertEquals(new Sandbox.Limits(1, 2, 3, 4, 5), s.limits());
    assertEquals(new Sandbox.Security(false, true, true, true, false, true), s.security());
    assertEquals(new Sandbox.Lifecycle(false, false, false, false), s.lifecycle());
  }

  @Test
  void aSpecMadeWithoutTheBuilderIsCheckedAllTheSame() {
    Sandbox ok = Sandbox.builder().command("/bin/true").build();
    assertThrows(
        SandboxException.InvalidSpec.class,
        () ->
            new Sandbox(
                ok.command(),
                ok.namespaces(),
                ok.network(),
                ok.hostname(),
                ok.identity(),
                List.of(new Mount.Tmpfs("/../oldroot/etc", 0, 0755)),
                ok.environment(),
                ok.streams(),
                ok.security(),
                ok.limits(),
                ok.lifecycle()));
  }
}
