package dev.robojail.sandbox;

import static dev.robojail.sandbox.HostEtcTest.file;
import static dev.robojail.sandbox.HostEtcTest.mode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.NeedsUserNamespaces;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
}
