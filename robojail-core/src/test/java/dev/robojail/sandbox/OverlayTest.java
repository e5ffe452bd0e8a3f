package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.NeedsUserNamespaces;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Overlays in real namespaces: a host directory as the read-only lower layer, whatever the sandbox
 * does to what it sees there. The lower directory stands for a host cache (the user's {@code
 * ~/.m2/repository}), so each attack is one a build or an agent could make on a cache.
 */
@NeedsUserNamespaces
class OverlayTest {
  @TempDir Path tmp;

  private Path lower;
  private Path upper;
  private Path work;

  /** Overlay layers given as descriptors need Linux 6.13; before, every overlay is refused. */
  static void requireOverlayLayersByDescriptor() {
    String release = dev.robojail.ffm.Procfs.sysctl("kernel/osrelease").orElse("0.0");
    String[] v = release.split("[.-]");
    int major = Integer.parseInt(v[0]);
    int minor = v.length > 1 ? Integer.parseInt(v[1].replaceAll("\\D.*", "")) : 0;
    org.junit.jupiter.api.Assumptions.assumeTrue(
        major > 6 || (major == 6 && minor >= 13),
        "kernel " + release + " cannot take overlay layers as descriptors (Linux 6.13)");
  }

  private Sandbox.Builder withOverlay() throws IOException {
    requireOverlayLayersByDescriptor();
    lower = Files.createDirectories(tmp.resolve("host-cache"));
    upper = Files.createDirectories(tmp.resolve("jail/upper"));
    work = Files.createDirectories(tmp.resolve("jail/work"));
    Path pkg = Files.createDirectories(lower.resolve("org/example/lib/1.0"));
    Files.writeString(pkg.resolve("lib-1.0.jar"), "PK\u0003\u0004 a jar's bytes");
    Files.writeString(pkg.resolve("lib-1.0.pom"), "<project/>");
    Files.writeString(lower.resolve("run-me.sh"), "#!/bin/sh\necho host\n");
    Files.setPosixFilePermissions(
        lower.resolve("run-me.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.createDirectories(lower.resolve("doomed/inside"));
    Files.writeString(lower.resolve("doomed/inside/f"), "x");
    return Jailed.base().overlay(lower, upper, work, "/cache");
  }

  @Test
  void writesInsideNeverReachTheLowerLayer() throws Exception {
    Sandbox.Builder b = withOverlay();
    Map<String, String> before = snapshot(lower);
    String script =
        String.join(
            "\n",
            "set -e",
            "cd /cache",
            "cat org/example/lib/1.0/lib-1.0.jar >/dev/null",
            "echo poisoned > org/example/lib/1.0/lib-1.0.jar", // overwrite
            "echo more >> org/example/lib/1.0/lib-1.0.pom", // append
            "rm run-me.sh", // delete
            "mv org/example/lib/1.0 org/example/lib/2.0", // rename a directory
            "rm -r doomed && mkdir doomed && echo new > doomed/g", // opaque directory
            "echo planted > new.jar",
            "chmod 0777 org/example/lib/2.0/lib-1.0.pom", // chmod
            "ln org/example/lib/2.0/lib-1.0.pom hardlink", // hard link
            "touch -d 2001-01-01 hardlink",
            "if chmod u+s new.jar 2>/dev/null; then echo setuid-allowed; fi",
            "python3 -c \"import os; os.setxattr('new.jar', 'user.x', b'1');"
                + " os.setxattr('org/example/lib/2.0/lib-1.0.pom', 'user.y', b'2')\" || true",
            "ls -a /cache");
    String out = Jailed.sh(b, script);
    assertFalse(out.contains("setuid-allowed"), out);
    assertTrue(out.contains("new.jar") && !out.contains("run-me.sh"), out);
    assertEquals(before, snapshot(lower), "the lower layer changed");
    // What the sandbox wrote is its own, in the upper layer, and there next time.
    assertTrue(Files.exists(upper.resolve("new.jar")));
    assertEquals(
        "ls: cannot access 'run-me.sh': No such file or directory\n" + "new\nplanted\n",
        Jailed.run(b, "cd /cache; ls run-me.sh; cat doomed/g new.jar; ls doomed/inside 2>/dev/null")
            .substring(2));
  }

  @Test
  void theLowerLayerIsSeenWhole() throws Exception {
    Sandbox.Builder b = withOverlay();
    assertEquals(
        "PK\u0003\u0004 a jar's bytes", Jailed.sh(b, "cat /cache/org/example/lib/1.0/lib-1.0.jar"));
    // Its mount has no setuid and no devices, whatever the layers hold.
    String mounts = Jailed.sh(b, "grep ' /cache ' /proc/self/mountinfo");
    assertTrue(mounts.contains("nosuid") && mounts.contains("nodev"), mounts);
  }

  @Test
  void aLinkInTheLowerLayerResolvesInsideTheSandbox() throws Exception {
    Sandbox.Builder b = withOverlay();
    Path secret = Files.writeString(tmp.resolve("secret"), "host secret");
    Files.createSymbolicLink(lower.resolve("leak"), secret);
    // The link's target is a host path the sandbox does not see: the link leads nowhere inside.
    String out = Jailed.run(b, "cat /cache/leak");
    assertFalse(out.contains("host secret"), out);
    assertFalse(out.startsWith("0 "), out);
  }

  @Test
  void anUpperLayerThatIsALinkIsRefusedNotFollowed() throws Exception {
    Sandbox.Builder b = withOverlay();
    Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
    Files.delete(upper);
    Files.createSymbolicLink(upper, elsewhere);
    SandboxException e =
        assertThrows(SandboxException.class, () -> Jailed.run(b, "echo x > /cache/written"));
    assertInstanceOf(SandboxException.OverlayRefused.class, e, e.getMessage());
    assertTrue(e.getMessage().contains("ELOOP"), e.getMessage());
    try (var s = Files.list(elsewhere)) {
      assertEquals(List.of(), s.toList());
    }
  }

  @Test
  void aRefusedOverlayIsToldApartFromOtherFailures() throws Exception {
    withOverlay();
    // The work directory on another mount than the upper one: the kernel refuses the overlay.
    Path otherMount = Files.createTempDirectory(Path.of("/dev/shm"), "robojail-work");
    try {
      Sandbox.Builder b = Jailed.base().overlay(lower, upper, otherMount, "/cache");
      SandboxException e = assertThrows(SandboxException.class, () -> Jailed.run(b, "true"));
      assertInstanceOf(SandboxException.OverlayRefused.class, e, e.getMessage());
      assertTrue(e.getMessage().contains("FSCONFIG_CMD_CREATE"), e.getMessage());
    } finally {
      Files.walk(otherMount)
          .sorted(java.util.Comparator.reverseOrder())
          .forEach(p -> p.toFile().delete());
    }
  }

  static Map<String, String> snapshot(Path root) throws IOException {
    return dev.robojail.testkit.TreeSnapshot.of(root);
  }
}
