package dev.robojail.sandbox;

import static dev.robojail.sandbox.HostEtcTest.file;
import static dev.robojail.sandbox.HostEtcTest.mode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.NeedsUserNamespaces;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The host's {@code /etc} in a real sandbox: what others may read is there, the rest is empty, as
 * the file's own owner too (host root's files are root's inside a sandbox of host root; a sandbox
 * of nobody is tried with nobody's own files).
 */
@NeedsUserNamespaces
class EtcInSandboxTest {
  private static final String SECRET = "SECRET";

  @TempDir Path tmp;
  Path etc;

  @BeforeAll
  static void needsUserNamespaces() {}

  // A host /etc of the test's own user, with the secrets an attacker inside would go for.
  @BeforeEach
  void hostEtc() throws Exception {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    etc = Files.createDirectories(tmp.resolve("etc"));
    file(etc.resolve("public.conf"), "pub\n", "rw-r--r--");
    Path shadow = file(etc.resolve("shadow"), SECRET, "rw-------");
    file(etc.resolve("ssh/ssh_host_ed25519_key"), SECRET, "rw-------");
    file(etc.resolve("ssh/sshd_config"), "pub\n", "rw-r--r--");
    // A world-readable file in a world-readable dir in a directory others cannot enter.
    file(etc.resolve("ssl/private/deep/key.pem"), SECRET, "rw-r--r--");
    mode(etc.resolve("ssl/private"), "rwx------");
    Files.createSymbolicLink(etc.resolve("to-shadow"), Path.of("shadow"));
    Files.createLink(etc.resolve("hard-shadow"), shadow);
    Path outside = file(tmp.resolve("home/.ssh/id_rsa"), SECRET, "rw-------");
    Files.createSymbolicLink(etc.resolve("to-outside"), outside);
    // Opening a FIFO (or a socket, or a device) is not reading it: covered whatever its mode.
    Path fifo = etc.resolve("agent.fifo");
    assertEquals(0, new ProcessBuilder("mkfifo", "-m", "0666", fifo.toString()).start().waitFor());
  }

  private static String sh(Sandbox.Builder b, String script) throws Exception {
    SandboxProcess p =
        b.env("PATH", "/usr/bin:/bin")
            .command("/bin/sh", "-c", script)
            .stdout(Stdio.pipe())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return out;
  }

  private Sandbox.Builder withFakeEtc() {
    return withFakeEtc(etc);
  }

  private static Sandbox.Builder withFakeEtc(Path etc) {
    return Presets.minimalSystem(Sandbox.builder(), etc);
  }

  private static final String TRY_ALL =
      "for f in public.conf shadow ssh/ssh_host_ed25519_key ssh/sshd_config"
          + " ssl/private/deep/key.pem to-shadow hard-shadow to-outside; do"
          + " cat /etc/$f 2>/dev/null; done; ls -A /etc/ssl/private; od -c /etc/shadow;"
          + " test -p /etc/agent.fifo && echo fifo-reachable; true";

  @Test
  void whatOthersCannotReadIsEmptyInsideEvenForItsOwner() throws Exception {
    // The attack works without the covers: the sandbox's user owns these files.
    Sandbox.Builder bare = Sandbox.builder().minimalSystem();
    String unprotected = sh(bare.readOnlyBind(etc, "/srv/etc"), "cat /srv/etc/shadow");
    assertEquals(SECRET, unprotected, "the test's secret is readable by its owner");

    String out = sh(withFakeEtc(), TRY_ALL);
    assertEquals("pub\npub\n0000000\n", out);
  }

  @Test
  void coversCannotBeWrittenRemovedOrUnmountedEvenByRootInside() throws Exception {
    String out =
        sh(
            withFakeEtc().rootInside(),
            "echo x > /etc/shadow; touch /etc/ssl/private/x; chmod 666 /etc/shadow;"
                + " umount /etc/shadow; umount -l /etc/ssl/private; rm -f /etc/shadow;"
                + " mount -t tmpfs t /etc; echo; cat /etc/shadow /etc/ssl/private/deep/key.pem;"
                + " ls -A /etc/ssl/private; echo end");
    assertTrue(out.endsWith("\nend\n"), out);
    assertTrue(!out.contains(SECRET), out);
    assertEquals("", sh(withFakeEtc(), "cat /etc/ssl/private/x /etc/shadow 2>/dev/null"));
  }

  @Test
  void theHostsEtcIsThereWithoutItsSecretsAndWithTheSandboxsOwnPasswd() throws Exception {
    String passwd = "me:x:4242:4242:me:/home/me:/bin/sh\n";
    Sandbox.Builder b = Sandbox.builder().minimalSystem().etcFile("passwd", passwd, 0644);
    String out =
        sh(
            b,
            "cat /etc/passwd; test -e /etc/shadow && ! test -s /etc/shadow && echo shadow-empty;"
                + " cmp /etc/os-release /etc/os-release && echo os-release;"
                + " { echo x > /etc/passwd; } 2>/dev/null || echo passwd-read-only");
    assertEquals(passwd + "shadow-empty\nos-release\npasswd-read-only\n", out);
    if (Files.isReadable(Path.of("/etc/gitconfig"))) {
      assertEquals(
          Files.readString(Path.of("/etc/gitconfig")),
          sh(Sandbox.builder().minimalSystem(), "cat /etc/gitconfig"));
    }
  }

  static java.util.stream.Stream<Long> seeds() {
    return java.util.stream.LongStream.rangeClosed(1, 6).mapToObj(i -> 0xe7c1000L + i);
  }

  // Every regular file of a tree, walked without following links: hex path below it, and mode.
  private static final String REGULAR_FILES =
      """
      import stat
      for d, subdirs, files in os.walk(b'.'):
          for f in files:
              p = os.path.join(d, f)
              st = os.lstat(p)
              if stat.S_ISREG(st.st_mode):
                  print(p[2:].hex(), oct(st.st_mode & 0o777))
      """;

  // Inside: reads each file named on stdin (hex, below /etc) and says what it got.
  private static final String READ_EACH =
      """
      import errno, os, sys
      for line in sys.stdin:
          p = bytes.fromhex(line.strip())
          try:
              with open(b'/etc/' + p, 'rb') as f: data = f.read()
              got = 'x' if data == b'x' else 'empty' if data == b'' else 'other'
          except OSError as e:
              got = errno.errorcode[e.errno]
          print(p.hex(), got)
      """;

  /**
   * On random trees (every kind of entry, names not UTF-8 among them, files of every mode), the
   * walk matches the reference walk, and inside a sandbox each file reads as the rule says: empty
   * when it is covered, absent below a covered directory, its content when it is not and its owner
   * (the sandbox's user) may read it. As nobody, directories nobody cannot list are covered because
   * the walk cannot open them.
   */
  @ParameterizedTest
  @MethodSource("seeds")
  void onRandomTreesEachFileInsideReadsAsTheRuleSays(long seed) throws Exception {
    Path tree = tmp.resolve("tree");
    Files.createDirectories(tree);
    Path etc = tree.resolve("etc");
    EtcTrees.make(etc, seed, 60);
    List<String> expected = EtcTrees.expected(etc.toRealPath(), "/etc");
    assertEquals(expected, EtcTrees.spelled(HostEtc.covers(etc.toRealPath(), "/etc")));
    List<byte[]> covers = new ArrayList<>();
    for (String c : expected) {
      covers.add(c.substring("/etc".length()).getBytes(StandardCharsets.UTF_8));
    }

    String files = python(etc, REGULAR_FILES, "");
    Map<String, String> want = new TreeMap<>();
    StringBuilder ask = new StringBuilder();
    for (String line : files.lines().toList()) {
      String hex = line.split(" ")[0];
      int mode = Integer.parseInt(line.split(" ")[1].substring(2), 8);
      byte[] path =
          ("/" + new String(HexFormat.of().parseHex(hex), StandardCharsets.ISO_8859_1))
              .getBytes(StandardCharsets.ISO_8859_1);
      want.put(hex, hiddenBy(covers, path, (mode & 0400) != 0 ? "x" : "EACCES"));
      ask.append(hex).append('\n');
    }
    SandboxProcess p =
        withFakeEtc(etc)
            .env("PATH", "/usr/bin:/bin")
            .command("/usr/bin/python3", "-c", READ_EACH)
            .stdin(Stdio.pipe())
            .stdout(Stdio.pipe())
            .redirectErrorStream(true)
            .start();
    try (java.io.OutputStream in = p.getOutputStream()) {
      in.write(ask.toString().getBytes(StandardCharsets.US_ASCII));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    Map<String, String> got = new TreeMap<>();
    out.lines().forEach(l -> got.put(l.split(" ")[0], l.split(" ")[1]));
    assertEquals(want, got, "seed " + seed + ", covers " + expected);
    assertTrue(
        want.containsValue("x") && want.size() > 5, "seed " + seed + " tried little: " + want);
  }

  // What a file reads as inside: empty under a file cover, absent under a directory's.
  private static String hiddenBy(List<byte[]> covers, byte[] path, String otherwise) {
    for (byte[] c : covers) {
      boolean dir = c[c.length - 1] == '/';
      byte[] at = dir ? java.util.Arrays.copyOf(c, c.length - 1) : c;
      if (!dir && java.util.Arrays.equals(at, path)) {
        return "empty";
      }
      if (dir
          && path.length > c.length
          && java.util.Arrays.equals(c, 0, c.length, path, 0, c.length)) {
        return "ENOENT";
      }
    }
    return otherwise;
  }

  private static String python(Path dir, String code, String input) throws Exception {
    Process p =
        new ProcessBuilder("/usr/bin/python3", "-c", "import os\n" + code)
            .directory(dir.toFile())
            .start();
    p.getOutputStream().write(input.getBytes(StandardCharsets.US_ASCII));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), err);
    return out;
  }

  /**
   * Names are the kernel's bytes: a secret whose name is UTF-8 but not ASCII is covered where it
   * is, whatever the JVM's locale; one whose name is not UTF-8 is hidden with its directory; a
   * readable one with such a name stays readable; at the top of /etc, such a secret refuses the
   * sandbox in one line, before anything starts.
   */
  @Test
  void secretsWithNamesNotUtf8OrNotAsciiAreEmptyInside() throws Exception {
    EtcTrees.python(
        etc,
        """
        def f(p, data, mode):
            with open(p, 'wb') as o: o.write(data)
            os.chmod(p, mode)
        f('caf\u00e9', b'SECRET', 0o600)
        f(b'ok-\\xff', b'pub\\n', 0o644)
        os.mkdir(b'd')
        f(b'd/public', b'pub\\n', 0o644)
        f(b'd/key-\\xff', b'SECRET', 0o600)
        """,
        "");
    String out =
        sh(
            withFakeEtc(),
            "cat /etc/caf\u00e9 /etc/ok-* /etc/d/* 2>/dev/null; ls -A /etc/d; echo end");
    assertEquals("pub\nend\n", out);
    EtcTrees.python(
        etc, "open(b'top-\\xff', 'w').write('SECRET'); os.chmod(b'top-\\xff', 0o600)", "");
    SandboxException.InvalidSpec e =
        assertThrows(SandboxException.InvalidSpec.class, this::withFakeEtc);
    assertTrue(
        e.getMessage().startsWith("cannot hide " + etc.toRealPath() + "/top-\\xff "),
        e.getMessage());
  }
}
