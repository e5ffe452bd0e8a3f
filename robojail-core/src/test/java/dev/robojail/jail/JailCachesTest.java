package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.sandbox.Stdio;
import dev.robojail.testkit.TestRepo;
import dev.robojail.testkit.TestWorld;
import dev.robojail.testkit.TreeSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Caches seeded from the host's ({@code seed_caches}) in real jails: the host's packages are there
 * offline, what the jail writes is its own and persists, the host's cache and its neighbours (the
 * files with passwords and tokens beside it) are untouched and unseen, and {@code destroy} leaves
 * nothing behind.
 */
@NeedsUserNamespaces
class JailCachesTest {
  private static final String JAR = ".m2/repository/org/example/lib/1.0/lib-1.0.jar";

  @TempDir Path tmp;
  TestWorld world;
  TestRepo repo;
  Path home;

  @BeforeEach
  void setUp() throws IOException {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        HostCaches.atLeast(HostCaches.kernelRelease().orElse("0.0"), new int[] {6, 13}),
        "this kernel cannot take overlay layers as descriptors (Linux 6.13)");
    world = TestWorld.in(tmp);
    repo = world.repo("repo");
    home = world.home().toRealPath();
  }

  private record Ran(int status, String output) {}

  private Ran sh(Jails jails, String name, String script) throws IOException {
    Path out = Files.createTempFile(tmp, "out", ".txt");
    int status =
        jails.run(
            name,
            List.of("/bin/sh", "-c", script),
            false,
            b -> b.stdin(Stdio.discard()).stdout(Stdio.file(out)).redirectErrorStream(true));
    return new Ran(status, Files.readString(out, StandardCharsets.UTF_8));
  }

  private Path write(String relative, String content) throws IOException {
    Path p = home.resolve(relative);
    Files.createDirectories(p.getParent());
    return Files.writeString(p, content);
  }

  // A real jar, as Maven would have downloaded it.
  private void jar(String relative) throws IOException {
    Path p = home.resolve(relative);
    Files.createDirectories(p.getParent());
    try (OutputStream out = Files.newOutputStream(p);
        JarOutputStream jar = new JarOutputStream(out)) {
      jar.putNextEntry(new JarEntry("org/example/Lib.txt"));
      jar.write("from the host's cache\n".getBytes(StandardCharsets.UTF_8));
      jar.closeEntry();
    }
  }

  // The host's caches and the files beside them; robojail's own directories are elsewhere.
  private Map<String, String> hostFiles() throws IOException {
    Map<String, String> all = new java.util.TreeMap<>();
    for (String d : List.of(".m2", ".cargo", ".gradle", ".npmrc")) {
      if (Files.exists(home.resolve(d), LinkOption.NOFOLLOW_LINKS)) {
        TreeSnapshot.of(home.resolve(d)).forEach((k, v) -> all.put(d + "/" + k, v));
      }
    }
    return all;
  }

  private void secrets() throws IOException {
    write(".m2/settings.xml", "<password>M2-SECRET</password>");
    write(".npmrc", "//registry.npmjs.org/:_authToken=NPM-SECRET\n");
    write(".cargo/credentials.toml", "token = \"CARGO-SECRET\"\n");
    write(".gradle/gradle.properties", "repoPassword=GRADLE-SECRET\n");
    write(".cargo/registry/index/x", "crate index\n");
    write(".gradle/caches/modules-2/y", "gradle module\n");
  }

  @Test
  void theHostsCacheServesTheJailOfflineAndIsNeverWrittenNorAreItsNeighboursSeen()
      throws IOException {
    jar(JAR);
    write(".m2/repository/org/example/lib/1.0/lib-1.0.pom", "<project/>\n");
    secrets();
    world.config("seed_caches = [\"maven\", \"cargo\", \"gradle\"]\nnetwork = \"none\"\n");
    Jails jails = world.jails();
    jails.create("c", repo.dir);
    Map<String, String> before = hostFiles();

    Ran r =
        sh(
            jails,
            "c",
            String.join(
                "\n",
                "python3 -c \"import zipfile,os; print(zipfile.ZipFile(os.path.expanduser('~/"
                    + JAR
                    + "')).read('org/example/Lib.txt').decode(), end='')\"",
                "cat ~/.cargo/registry/index/x ~/.gradle/caches/modules-2/y",
                "cat ~/.m2/settings.xml ~/.npmrc ~/.cargo/credentials.toml"
                    + " ~/.gradle/gradle.properties 2>&1",
                "ls -a ~/.m2 | tr '\\n' ' '; echo",
                "cd ~/.m2/repository/org/example/lib/1.0",
                "echo poisoned > lib-1.0.jar && echo overwrote",
                "rm lib-1.0.pom && echo deleted",
                "mkdir -p ../2.0 && echo new > ../2.0/lib-2.0.jar && echo added",
                "chmod 0777 lib-1.0.jar && ln lib-1.0.jar linked && echo linked",
                "if chmod u+s lib-1.0.jar 2>/dev/null; then echo SETUID; fi",
                "echo end"));
    assertEquals(0, r.status(), r.output());
    String out = r.output();
    assertTrue(out.startsWith("from the host's cache\ncrate index\ngradle module\n"), out);
    assertFalse(out.contains("SECRET"), out);
    assertFalse(out.contains("SETUID"), out);
    assertTrue(out.contains(". .. repository \n"), out);
    assertTrue(out.contains("overwrote\ndeleted\nadded\nlinked\nend\n"), out);
    assertEquals(before, hostFiles(), "the host's home changed");

    // The jail's own layer persists: the next run sees its writes over the host's cache.
    Ran again =
        sh(
            jails,
            "c",
            "cd ~/.m2/repository/org/example/lib; cat 1.0/lib-1.0.jar 2.0/lib-2.0.jar;"
                + " ls 1.0/lib-1.0.pom 2>/dev/null || echo gone");
    assertEquals("poisoned\nnew\ngone\n", again.output());

    // Another jail starts from the host's cache, not from this one's.
    jails.create("d", repo.dir);
    Ran other = sh(jails, "d", "cat ~/.m2/repository/org/example/lib/1.0/lib-1.0.pom");
    assertEquals("<project/>\n", other.output());

    // destroy takes the jail's layer and the overlay's work directory (its kernel-made 000
    // directory too), and nothing of the host's.
    Path work = world.dirs().dataDir().resolve("cache-work/c");
    assertTrue(Files.isDirectory(work.resolve("maven")), "the work directory is robojail's");
    jails.destroy("c", true);
    assertFalse(Files.exists(work, LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(world.dirs().dataDir().resolve("homes/c"), LinkOption.NOFOLLOW_LINKS));
    assertEquals(before, hostFiles(), "the host's home changed");
  }

  // The host's npm, with HOME the test's home: what the user did to fill their cache.
  private void npm(Path dir, String... args) throws IOException, InterruptedException {
    List<String> cmd = new java.util.ArrayList<>(List.of("npm"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
    pb.environment().put("HOME", home.toString());
    pb.environment().put("npm_config_update_notifier", "false");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
  }

  @Test
  void npmInstallsOfflineFromTheHostsCacheWhichStaysAsItWas() throws Exception {
    Path pkg = Files.createDirectories(tmp.resolve("pkg"));
    Files.writeString(
        pkg.resolve("package.json"),
        "{\"name\":\"robojail-seeded\",\"version\":\"1.0.0\",\"main\":\"index.js\"}");
    Files.writeString(pkg.resolve("index.js"), "module.exports = 'from the host npm cache';\n");
    npm(pkg, "pack", "--silent", "--offline");
    Path tarball = pkg.resolve("robojail-seeded-1.0.0.tgz");
    npm(pkg, "cache", "add", "--offline", tarball.toString());
    String integrity =
        "sha512-"
            + java.util.Base64.getEncoder()
                .encodeToString(
                    java.security.MessageDigest.getInstance("SHA-512")
                        .digest(Files.readAllBytes(tarball)));
    world.config("seed_caches = [\"npm\"]\nnetwork = \"none\"\n");
    Jails jails = world.jails();
    jails.create("n", repo.dir);
    Map<String, String> before = TreeSnapshot.of(home.resolve(".npm/_cacache"));
    // A project that depends on the package, pinned by its lockfile, as a project checked out is.
    String manifest =
        "{\"name\":\"proj\",\"version\":\"1.0.0\","
            + "\"dependencies\":{\"robojail-seeded\":\"1.0.0\"}}";
    String lock =
        "{\"name\":\"proj\",\"version\":\"1.0.0\",\"lockfileVersion\":3,\"requires\":true,"
            + "\"packages\":{\"\":{\"name\":\"proj\",\"version\":\"1.0.0\","
            + "\"dependencies\":{\"robojail-seeded\":\"1.0.0\"}},"
            + "\"node_modules/robojail-seeded\":{\"version\":\"1.0.0\",\"resolved\":"
            + "\"https://registry.npmjs.org/robojail-seeded/-/robojail-seeded-1.0.0.tgz\","
            + "\"integrity\":\""
            + integrity
            + "\"}}}";
    Ran r =
        sh(
            jails,
            "n",
            "set -e; mkdir -p /tmp/proj && cd /tmp/proj; printf '%s' '"
                + manifest
                + "' > package.json; printf '%s' '"
                + lock
                + "' > package-lock.json; npm ci --offline --no-audit --no-fund >/dev/null 2>&1"
                + " || { cat ~/.npm/_logs/*.log | tail -20; exit 1; };"
                + " node -e 'console.log(require(\"robojail-seeded\"))'");
    assertEquals(0, r.status(), r.output());
    assertEquals("from the host npm cache\n", r.output());
    assertEquals(
        before, TreeSnapshot.of(home.resolve(".npm/_cacache")), "the host's cache changed");
  }

  @Test
  void withoutSeedCachesTheHostsCacheIsNotSeen() throws IOException {
    jar(JAR);
    world.config("network = \"none\"\n");
    Jails jails = world.jails();
    jails.create("c", repo.dir);
    Ran r = sh(jails, "c", "ls -A ~/.m2/repository 2>/dev/null | wc -l");
    assertEquals("0\n", r.output());
  }

  @Test
  void aLinkTheJailPlantsAtItsCacheIsNeverFollowed() throws IOException {
    jar(JAR);
    world.config("seed_caches = [\"maven\"]\nnetwork = \"none\"\n");
    Jails jails = world.jails();
    jails.create("c", repo.dir);
    Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
    // What a jail could leave in its home for the next run: its cache dir a link out of it.
    Path own = world.dirs().dataDir().resolve("homes/c/.m2/repository");
    Files.createDirectories(own.getParent());
    Files.createSymbolicLink(own, elsewhere);
    Ran r = sh(jails, "c", "echo x > ~/.m2/repository/planted && ls ~/.m2/repository");
    assertEquals(0, r.status(), r.output());
    assertTrue(r.output().contains("org") && r.output().contains("planted"), r.output());
    try (var s = Files.list(elsewhere)) {
      assertEquals(List.of(), s.toList());
    }
    assertFalse(Files.isSymbolicLink(own));
  }

  @Test
  void aCacheTheKernelWillNotStackOnFallsBackToTheJailsOwnWithOneLine() throws IOException {
    // An overlay refuses /proc as its lower layer: the jail runs with its own cache alone.
    Files.createDirectories(home.resolve(".m2"));
    Files.createSymbolicLink(home.resolve(".m2/repository"), Path.of("/proc/sys"));
    world.config("seed_caches = [\"maven\"]\nnetwork = \"none\"\n");
    Jails jails = world.jails();
    jails.create("c", repo.dir);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream saved = System.err;
    Ran r;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      r = sh(jails, "c", "ls -A ~/.m2/repository | wc -l; echo ran");
    } finally {
      System.setErr(saved);
    }
    assertEquals("0\nran\n", r.output());
    String said = err.toString(StandardCharsets.UTF_8);
    assertEquals(1, said.lines().count(), said);
    assertTrue(said.startsWith("robojail: caches not seeded this run"), said);
    assertTrue(said.contains("EINVAL"), said);
  }
}
