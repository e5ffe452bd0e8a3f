package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.Rlimit;
import dev.robojail.ffm.Syscalls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Which parts of a host's {@code /etc} a sandbox gets covered, decided on the host. */
class HostEtcTest {
  @TempDir Path tmp;

  static void mode(Path p, String rwx) throws IOException {
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(rwx));
  }

  static Path file(Path p, String content, String rwx) throws IOException {
    Files.createDirectories(p.getParent());
    Files.writeString(p, content);
    mode(p, rwx);
    return p;
  }

  private static List<String> targets(List<Mount.Cover> covers) {
    return covers.stream().map(c -> c.target() + (c.directory() ? "/" : "")).sorted().toList();
  }

  @Test
  void coversWhatOthersCannotReadAndNothingElse() throws Exception {
    Path etc = Files.createDirectories(tmp.resolve("etc"));
    file(etc.resolve("public.conf"), "pub", "rw-r--r--");
    Path shadow = file(etc.resolve("shadow"), "SECRET", "rw-r-----");
    file(etc.resolve("ssl/private/key.pem"), "SECRET", "rw-r--r--");
    mode(etc.resolve("ssl/private"), "rwx------");
    file(etc.resolve("ssl/certs/ca.pem"), "pub", "rw-r--r--");
    file(etc.resolve("listed-only/x"), "pub", "rw-r--r--");
    mode(etc.resolve("listed-only"), "rwxr-xr--");
    file(etc.resolve("entered-only/x"), "pub", "rw-r--r--");
    mode(etc.resolve("entered-only"), "rwx--x--x");
    file(etc.resolve("sudoers.d/README"), "pub", "rw-r--r--");
    file(etc.resolve("sudoers.d/admins"), "SECRET", "r--r-----");
    Files.createSymbolicLink(etc.resolve("to-shadow"), Path.of("shadow"));
    Files.createSymbolicLink(etc.resolve("to-root"), Path.of("/root/.ssh/id_rsa"));
    Files.createLink(etc.resolve("shadow-hardlink"), shadow);
    Path fifo = etc.resolve("agent.fifo");
    assertEquals(0, new ProcessBuilder("mkfifo", "-m", "0666", fifo.toString()).start().waitFor());

    assertEquals(
        List.of(
            "/etc/agent.fifo",
            "/etc/entered-only/",
            "/etc/listed-only/",
            "/etc/shadow",
            "/etc/shadow-hardlink",
            "/etc/ssl/private/",
            "/etc/sudoers.d/admins"),
        targets(HostEtc.covers(etc.toRealPath(), "/etc")));
  }

  static Stream<Long> seeds() {
    return IntStream.rangeClosed(1, 25).mapToObj(i -> 0x5eed0000L + i);
  }

  private static final String[] FILE_MODES = {
    "rw-r--r--", "rw-------", "rw-r-----", "rw----r--", "r--r--r--", "rwxr-xr-x", "rwx-----x"
  };
  private static final String[] DIR_MODES = {
    "rwxr-xr-x", "rwx------", "rwx--x--x", "rwxr-x---", "rwx---r-x", "rwxr--r--", "rwxrwx---"
  };

  /**
   * On random trees: an entry is hidden (covered, or below a cover) exactly when it or a directory
   * above it is one that others cannot read, and no cover is below another.
   */
  @ParameterizedTest
  @MethodSource("seeds")
  void onRandomTreesExactlyTheUnreadableIsHidden(long seed) throws Exception {
    Random r = new Random(seed);
    Path etc = Files.createDirectories(tmp.resolve("etc"));
    // path -> whether others can read it and every directory above it
    Map<String, Boolean> readable = new TreeMap<>();
    List<Path> dirs = new ArrayList<>(List.of(etc));
    Map<Path, String> dirModes = new TreeMap<>();
    for (int i = 0; i < 40; i++) {
      Path parent = dirs.get(r.nextInt(dirs.size()));
      Path p = parent.resolve("e" + i);
      boolean parentOk = parent.equals(etc) || readable.get("/" + etc.relativize(parent));
      if (r.nextInt(3) == 0 && etc.relativize(p).getNameCount() < 4) {
        Files.createDirectory(p);
        String m = DIR_MODES[r.nextInt(DIR_MODES.length)];
        dirModes.put(p, m);
        dirs.add(p);
        readable.put("/" + etc.relativize(p), parentOk && m.charAt(6) == 'r' && m.charAt(8) == 'x');
      } else {
        String m = FILE_MODES[r.nextInt(FILE_MODES.length)];
        file(p, "x", m);
        readable.put("/" + etc.relativize(p), parentOk && m.charAt(6) == 'r');
      }
    }
    // Deepest first, so that the owner can still enter while modes are set.
    for (Path d : dirModes.keySet().stream().sorted((a, b) -> b.compareTo(a)).toList()) {
      mode(d, dirModes.get(d));
    }

    List<Mount.Cover> covers = HostEtc.covers(etc.toRealPath(), "");
    List<String> covered = covers.stream().map(Mount.Cover::target).toList();
    for (Map.Entry<String, Boolean> e : readable.entrySet()) {
      boolean hidden =
          covered.stream().anyMatch(c -> e.getKey().equals(c) || e.getKey().startsWith(c + "/"));
      assertEquals(!e.getValue(), hidden, "seed " + seed + ": " + e.getKey() + " in " + covered);
    }
    for (Mount.Cover c : covers) {
      assertFalse(
          covered.stream().anyMatch(o -> c.target().startsWith(o + "/")),
          "seed " + seed + ": " + c + " is below another cover");
      Path host = etc.resolve(c.target().substring(1));
      assertEquals(Files.isDirectory(host, LinkOption.NOFOLLOW_LINKS), c.directory(), c.target());
    }
  }

  static Stream<Long> treeSeeds() {
    return IntStream.rangeClosed(1, 40).mapToObj(i -> 0xe7c0000L + i);
  }

  /**
   * On random trees with every kind of entry and name: the walk covers exactly what the reference
   * (the NIO walk it replaced) covers, as bytes, except that an entry whose name is not UTF-8 is
   * hidden by the nearest directory above it that a mount can name, or the tree is refused.
   */
  @ParameterizedTest
  @MethodSource("treeSeeds")
  void onRandomTreesTheWalkCoversWhatTheReferenceWalkCovers(long seed) throws Exception {
    Path etc = tmp.resolve("etc");
    EtcTrees.make(etc, seed, 60);
    List<String> expected = EtcTrees.expected(etc.toRealPath(), "/etc");
    assertNotNull(expected, "the generator makes no tree the walk must refuse");
    List<Mount.Cover> covers = HostEtc.covers(etc.toRealPath(), "/etc");
    assertEquals(expected, EtcTrees.spelled(covers), "seed " + seed);
    for (Mount.Cover c : covers) {
      assertFalse(
          covers.stream().anyMatch(o -> o.directory() && c.target().startsWith(o.target() + "/")),
          "seed " + seed + ": " + c + " is below another cover");
    }
  }

  /** The random trees hold what their tests claim to try, so that a weaker generator shows. */
  @Test
  void theRandomTreesHoldEveryKindOfEntryAndName() throws Exception {
    Path etc = tmp.resolve("etc");
    EtcTrees.make(etc, 1, 600);
    // Each entry as its type letter and its path's bytes, NUL-terminated; a directory the user
    // cannot read is skipped (find complains, which does not matter here).
    Process find =
        new ProcessBuilder("find", etc.toString(), "-mindepth", "1", "-printf", "%y%P\\0")
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    String entries = new String(find.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    find.waitFor();
    java.util.Set<Character> types = new java.util.TreeSet<>();
    for (String e : entries.split("\0")) {
      types.add(e.charAt(0));
    }
    String kinds = Syscalls.getuid() == 0 ? "cdflps" : "dflps"; // root makes device nodes
    assertEquals(kinds, types.stream().map(String::valueOf).collect(Collectors.joining()));
    for (String part :
        List.of(
            "\n", // a newline
            "\u00ff\u00fe", // not UTF-8
            new String("café".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1),
            "\u001b[2J", // a terminal escape
            " with space",
            "/..e",
            "/...e",
            "/.. e")) {
      assertTrue(entries.contains(part), "no name with " + part);
    }
    List<Mount.Cover> covers = HostEtc.covers(etc.toRealPath(), "/etc");
    assertTrue(covers.stream().anyMatch(Mount.Cover::directory), "a directory covered");
    assertTrue(covers.stream().anyMatch(c -> !c.directory()), "a file covered");
  }

  @Test
  void namesAreTheKernelsBytesWhateverTheLocale() throws Exception {
    Path etc = Files.createDirectories(tmp.resolve("etc"));
    EtcTrees.python(
        etc,
        """
        def f(p, mode):
            with open(p, 'wb') as o: o.write(b'SECRET')
            os.chmod(p, mode)
        f('caf\u00e9', 0o600)
        f('...', 0o600)
        f('..x', 0o640)
        f(' ', 0o600)
        f('a\\nb', 0o600)
        f(b'readable-\\xff', 0o644)
        os.mkdir(b'dir')
        f(b'dir/ok', 0o644)
        f(b'dir/not-utf8-\\xff', 0o600)
        os.mkdir(b'deep')
        os.mkdir(b'deep/\\xfe')
        f(b'deep/\\xfe/secret', 0o600)
        os.symlink(b'\\xff-dangling', b'link-\\xff')
        """,
        "");
    assertEquals(
        List.of(
            "/etc/ ", "/etc/...", "/etc/..x", "/etc/a\nb", "/etc/café", "/etc/deep/", "/etc/dir/"),
        EtcTrees.spelled(HostEtc.covers(etc.toRealPath(), "/etc")));
  }

  @Test
  void anUnreadableEntryWhoseNameNoMountCanNameRefusesTheTreeInOneLine() throws Exception {
    Path etc = Files.createDirectories(tmp.resolve("etc"));
    EtcTrees.python(
        etc,
        "open(b'top-\\xff\\x1b[2J', 'w').write('SECRET'); os.chmod(b'top-\\xff\\x1b[2J', 0o600)",
        "");
    SandboxException.InvalidSpec e =
        assertThrows(
            SandboxException.InvalidSpec.class, () -> HostEtc.covers(etc.toRealPath(), "/etc"));
    assertEquals(
        "cannot hide "
            + etc.toRealPath()
            + "/top-\\xff\\x1b[2J from the sandbox: others cannot read it, and its name is not"
            + " UTF-8, which a mount needs; rename it",
        e.getMessage());
  }

  /**
   * An entry that changes while it is walked (gone, a link, a file, a directory again) never fails
   * the walk, never uncovers what stays secret, and never covers what stays readable.
   */
  @Test
  void anEntryChangingDuringTheWalkNeverFailsItOrUncoversASecret() throws Exception {
    Path etc = Files.createDirectories(tmp.resolve("etc"));
    file(etc.resolve("shadow"), "SECRET", "rw-------");
    file(etc.resolve("public"), "pub", "rw-r--r--");
    file(etc.resolve("z-shadow"), "SECRET", "rw-------");
    Path flip = etc.resolve("flip");
    walkWhileChanging(
        etc,
        300,
        7,
        r -> {
          switch (r.nextInt(4)) {
            case 0 -> {
              Files.createDirectories(flip.resolve("in"));
              Files.writeString(flip.resolve("in/x"), "x");
            }
            case 1 -> Files.createSymbolicLink(flip, Path.of("shadow"));
            case 2 -> file(flip, "x", r.nextBoolean() ? "rw-------" : "rw-r--r--");
            default -> {}
          }
          Thread.onSpinWait();
          new ProcessBuilder("rm", "-rf", flip.toString()).start().waitFor();
        },
        c -> c.startsWith("/etc/flip"),
        List.of("/etc/shadow", "/etc/z-shadow"));
  }

  /**
   * Listings at and past the edges of the walk's buffers and batches: names of 255 bytes (the
   * longest a record holds) filling a subdirectory's first listings to a record short of their end
   * and past it, a directory larger than the buffer for the rest of a listing, more subdirectories
   * than a batch opens at once, and a chain of directories deeper than any host's {@code /etc}, a
   * secret at the bottom: the walk covers what the reference walk covers.
   */
  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"long-names", "huge", "wide", "deep"})
  void atTheEdgesOfItsBuffersTheWalkCoversWhatTheReferenceWalkCovers(String shape)
      throws Exception {
    Path etc = Files.createDirectories(tmp.resolve("etc"));
    EtcTrees.python(
        etc,
        """
        def f(p, mode):
            with open(p, 'wb') as o: o.write(b'x')
            os.chmod(p, mode)
        shape = sys.stdin.read()
        if shape == 'long-names':
            # 2048 bytes hold 7 records of 280 bytes; 512 hold one more.
            for n in range(1, 13):
                d = 'd%02d' % n
                os.mkdir(d)
                for i in range(n):
                    name = d + '/' + ('%03d' % i) + 'n' * 252
                    f(name, 0o600 if i % 3 == 0 else 0o644)
        elif shape == 'huge':
            os.mkdir('big')
            for i in range(3000):
                f('big/%04d-' % i + 'x' * (i % 200), 0o600 if i % 97 == 0 else 0o644)
            os.mkdir('big/sub')
            f('big/sub/secret', 0o600)
        elif shape == 'wide':
            for i in range(300):
                d = 'w%03d' % i
                os.mkdir(d)
                f(d + '/pub', 0o644)
                if i % 7 == 0: f(d + '/secret', 0o600)
                if i % 11 == 0: os.chmod(d, 0o700)
        else:
            p = '.'
            for i in range(300):
                p = p + '/d'
                os.mkdir(p)
                f(p + '/pub', 0o644)
                os.symlink('..', p + '/up')
                os.symlink('.', p + '/self')
            f(p + '/secret', 0o600)
            os.mkdir(p + '/private', 0o700)
        """,
        shape);
    List<String> expected = EtcTrees.expected(etc.toRealPath(), "/etc");
    List<String> covers = EtcTrees.spelled(HostEtc.covers(etc.toRealPath(), "/etc"));
    assertEquals(expected, covers);
    assertFalse(covers.isEmpty(), "the tree has secrets");
  }

  private static long openDescriptors() throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    }
  }

  /**
   * Under a soft descriptor limit just above what the JVM holds open, a tree of many readable
   * subdirectories (wider than a batch looks ahead) and secrets: the walk covers what the reference
   * walk covers, or refuses in one line naming the limit, and never covers a readable directory for
   * want of a descriptor; no descriptor is left open either way. The limit is this JVM's own, for a
   * moment: sound only while surefire runs one test at a time in it, as configured.
   */
  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(ints = {0, 1, 2, 3, 8})
  void underALowDescriptorLimitTheWalkHidesNoReadableDirectory(int margin) throws Exception {
    Path etc = Files.createDirectories(tmp.resolve("etc"));
    for (int i = 0; i < 64; i++) {
      Path d = Files.createDirectories(etc.resolve(String.format("d%02d/sub", i)));
      file(d.resolve("pub"), "x", "rw-r--r--");
      file(d.getParent().resolve("pub"), "x", "rw-r--r--");
    }
    file(etc.resolve("secret"), "x", "rw-------");
    file(etc.resolve("d05/sub/secret"), "x", "rw-------");
    Path real = etc.toRealPath();
    List<String> expected = EtcTrees.expected(real, "/etc");
    // Once at the usual limit, so that no class the walk or its refusal needs is loaded from a
    // file under the low one.
    assertEquals(expected, EtcTrees.spelled(HostEtc.covers(real, "/etc")));
    assertNotNull(SandboxException.InvalidSpec.class.getName());
    assertNotNull(dev.robojail.ffm.SyscallException.class.getName());
    Rlimit old = Syscalls.prlimit64(0, Rlimit.RLIMIT_NOFILE);
    long before = openDescriptors();
    List<String> covers = null;
    SandboxException.InvalidSpec refused = null;
    Syscalls.prlimit64(0, Rlimit.RLIMIT_NOFILE, before + margin, old.hard());
    try {
      covers = EtcTrees.spelled(HostEtc.covers(real, "/etc"));
    } catch (SandboxException.InvalidSpec e) {
      refused = e;
    } finally {
      Syscalls.prlimit64(0, Rlimit.RLIMIT_NOFILE, old.soft(), old.hard());
    }
    assertEquals(before, openDescriptors(), "descriptors left open");
    // The count held the listing's own descriptor: at margin 0 one is free, the root's, and no
    // subdirectory can be opened at all.
    assertTrue(margin > 0 || refused != null, "refused when no subdirectory can be opened");
    if (refused != null) {
      assertTrue(refused.getMessage().contains("ulimit -n"), refused.getMessage());
      assertFalse(refused.getMessage().contains("\n"), refused.getMessage());
    } else {
      assertEquals(expected, covers, "limit " + (before + margin));
    }
  }

  /**
   * Entries made and removed in a large directory while it is walked (each gone between its listing
   * and its stat or open, or there again as another kind) never fail the walk, never uncover a
   * secret that stays, and never cover a file that stays readable.
   */
  @Test
  void aBusyDirectoryChangingDuringTheWalkNeverUncoversASecret() throws Exception {
    Path etc = Files.createDirectories(tmp.resolve("etc"));
    Path busy = Files.createDirectories(etc.resolve("busy"));
    for (int i = 0; i < 200; i++) {
      file(busy.resolve("pub-" + i), "pub", "rw-r--r--");
    }
    file(busy.resolve("secret"), "SECRET", "rw-------");
    Files.createDirectories(busy.resolve("private"));
    mode(busy.resolve("private"), "rwx------");
    walkWhileChanging(
        etc,
        200,
        11,
        r -> {
          Path p = busy.resolve("churn-" + r.nextInt(64));
          if (r.nextBoolean()) {
            Files.createDirectories(p.resolve("in"));
            file(p.resolve("in/x"), "x", "rw-------");
          } else {
            file(p, "x", r.nextBoolean() ? "rw-------" : "rw-r--r--");
          }
          if (r.nextBoolean()) {
            new ProcessBuilder("rm", "-rf", p.toString()).start().waitFor();
          }
        },
        c -> c.contains("/churn-"),
        List.of("/etc/busy/private/", "/etc/busy/secret"));
  }

  /** One change to a tree, made over and over while it is walked; it may fail midway. */
  private interface Change {
    void make(Random r) throws IOException, InterruptedException;
  }

  /**
   * Walks {@code etc} {@code rounds} times while another thread makes {@code change} over and over:
   * every walk succeeds, and its covers of the entries that do not change ({@code changing} tells
   * which do) are exactly {@code stable}.
   */
  private static void walkWhileChanging(
      Path etc,
      int rounds,
      long seed,
      Change change,
      java.util.function.Predicate<String> changing,
      List<String> stable)
      throws Exception {
    java.util.concurrent.atomic.AtomicBoolean stop =
        new java.util.concurrent.atomic.AtomicBoolean();
    Thread changer =
        Thread.ofPlatform()
            .start(
                () -> {
                  Random r = new Random(seed);
                  while (!stop.get()) {
                    try {
                      change.make(r);
                    } catch (IOException | InterruptedException e) {
                      // the entry was another kind a moment ago: the next round makes it again
                    }
                  }
                });
    try {
      for (int i = 0; i < rounds; i++) {
        List<String> covers = EtcTrees.spelled(HostEtc.covers(etc.toRealPath(), "/etc"));
        assertEquals(stable, covers.stream().filter(changing.negate()).toList(), "round " + i);
      }
    } finally {
      stop.set(true);
      changer.join();
    }
  }

  @Test
  void robojailsFilesGoWhereTheHostsLinksLeadInside() throws Exception {
    Path etc = Files.createDirectories(tmp.resolve("etc"));
    file(etc.resolve("passwd"), "root:x:0:0::/root:/bin/sh\n", "rw-r--r--");
    file(
        tmp.resolve("run/systemd/resolve/stub-resolv.conf"),
        "nameserver 127.0.0.53\n",
        "rw-r--r--");
    Files.createSymbolicLink(
        etc.resolve("resolv.conf"), Path.of("../run/systemd/resolve/stub-resolv.conf"));
    Files.createSymbolicLink(etc.resolve("hosts"), Path.of("hosts.real"));
    file(etc.resolve("hosts.real"), "127.0.0.1 localhost\n", "rw-r--r--");
    Files.createSymbolicLink(etc.resolve("to-usr"), Path.of("/usr/share/x"));
    Files.createSymbolicLink(etc.resolve("loop"), Path.of("loop"));
    Files.createDirectories(etc.resolve("dir"));

    assertEquals(Optional.of("/etc/passwd"), HostEtc.placeOf(tmp, "passwd"));
    assertEquals(
        Optional.of("/run/systemd/resolve/stub-resolv.conf"), HostEtc.placeOf(tmp, "resolv.conf"));
    assertEquals(Optional.of("/etc/hosts.real"), HostEtc.placeOf(tmp, "hosts"));
    // /usr is the host's, read-only: no file of the sandbox's own can go there.
    assertEquals(Optional.empty(), HostEtc.placeOf(tmp, "to-usr"));
    assertEquals(Optional.empty(), HostEtc.placeOf(tmp, "loop"));
    assertEquals(Optional.empty(), HostEtc.placeOf(tmp, "dir"));
    assertEquals(Optional.empty(), HostEtc.placeOf(tmp, "missing"));
    assertTrue(HostEtc.placeOf("passwd").isPresent(), "this host has an /etc/passwd file");
  }
}
