package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.sandbox.Stdio;
import dev.robojail.testkit.AgentPackages;
import dev.robojail.testkit.TestRepo;
import dev.robojail.testkit.TestWorld;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Toolchains and entrypoints as users install them, run in real jails: what becomes visible works,
 * read-only, and nothing else of the home comes with it. The npm packages are made and installed by
 * the test with the real npm, offline.
 */
@NeedsUserNamespaces
class JailToolchainsTest {
  @TempDir Path tmp;
  TestWorld world;
  TestRepo repo;
  Path home;

  @BeforeEach
  void setUp() throws IOException {
    world = TestWorld.in(tmp);
    repo = world.repo("repo");
    home = world.home().toRealPath();
  }

  private Jails jails(String path) {
    return Jails.open(world.dirs(), home, Map.of("PATH", path));
  }

  private record Ran(int status, String output) {}

  private Ran run(Jails jails, String name, List<String> command) throws IOException {
    Path out = Files.createTempFile(tmp, "out", ".txt");
    int status =
        jails.run(
            name,
            command,
            false,
            b -> b.stdin(Stdio.discard()).stdout(Stdio.file(out)).redirectErrorStream(true));
    return new Ran(status, Files.readString(out, StandardCharsets.UTF_8));
  }

  private Ran sh(Jails jails, String name, String script) throws IOException {
    return run(jails, name, List.of("/bin/sh", "-c", script));
  }

  private Path file(String relative, String content, String mode) throws IOException {
    Path p = home.resolve(relative);
    Files.createDirectories(p.getParent());
    Files.writeString(p, content);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
    return p;
  }

  private Path program(String relative, String output) throws IOException {
    return file(relative, "#!/bin/sh\necho " + output + "\n", "rwxr-xr-x");
  }

  @Test
  void toolchainsRunReadOnlyInTheUsersOrderAndShowNothingElseOfTheHome() throws IOException {
    program(".local/bin/tool", "local-tool");
    program(".local/bin/cargo", "shadowed");
    program(".cargo/bin/cargo", "real-cargo");
    file(".cargo/credentials.toml", "token = \"CARGO-SECRET\"\n", "rw-------");
    Path key = file(".ssh/id_ed25519", "SSH-SECRET\n", "rw-------");
    Path notes = file("notes.txt", "NOTES-SECRET\n", "rw-------");
    Files.createSymbolicLink(home.resolve(".local/bin/key"), key);
    Files.createSymbolicLink(home.resolve(".local/bin/notes"), notes);
    Jails jails = jails(home + "/.cargo/bin:" + home + "/.local/bin:/usr/bin:/bin");
    jails.create("t", repo.dir);

    Ran r =
        sh(
            jails,
            "t",
            "echo PATH=$PATH; tool; cargo; cat ~/.cargo/credentials.toml; cat ~/.local/bin/key;"
                + " cat ~/.local/bin/notes; ls ~/.ssh; cat ~/notes.txt;"
                + " touch ~/.local/bin/new && echo WROTE; echo x >> ~/.local/bin/tool && echo"
                + " APPENDED; echo done");
    assertEquals(0, r.status(), r.output());
    String out = r.output();
    assertTrue(
        out.contains("PATH=" + home + "/.cargo/bin:" + home + "/.local/bin:/usr/local/bin:"), out);
    assertTrue(out.contains("local-tool\nreal-cargo\n"), out);
    for (String leaked : List.of("SECRET", "WROTE", "APPENDED", "shadowed")) {
      assertFalse(out.contains(leaked), leaked + " in: " + out);
    }
    assertTrue(out.endsWith("done\n"), out);
    assertEquals("#!/bin/sh\necho local-tool\n", Files.readString(home.resolve(".local/bin/tool")));
    assertFalse(Files.exists(home.resolve(".local/bin/new")));
  }

  @Test
  void aPathEntryThatIsTheHomeShowsNothingOfIt() throws IOException {
    file("secret.txt", "HOME-SECRET\n", "rw-------");
    program("bin/tool", "tool");
    Files.createSymbolicLink(home.resolve("link-to-home"), home);
    Jails jails = jails(home + ":" + home + "/link-to-home:/usr/bin:/bin");
    jails.create("h", repo.dir);
    Ran r = sh(jails, "h", "cat ~/secret.txt ~/link-to-home/secret.txt; ls -A ~; echo done");
    assertFalse(r.output().contains("HOME-SECRET"), r.output());
    assertFalse(r.output().contains("bin"), r.output());
    String refused = String.join("\n", jails.toolchains().refused());
    assertTrue(refused.contains("it is the home directory itself"), refused);
  }

  @Test
  void anEntrypointInsideAHiddenPathIsRefused() throws IOException {
    program(".ssh/agent", "agent");
    Jails jails = jails("/usr/bin:/bin");
    jails.create(CreateOptions.builder("s", repo.dir).entrypoint(List.of("~/.ssh/agent")).build());
    JailException e = assertThrows(JailException.class, () -> run(jails, "s", List.of()));
    assertTrue(e.getMessage().contains("is inside the hidden path"), e.getMessage());
  }

  // An npm package like an agent's: a node launcher that needs a dependency and a native program
  // of another package, installed from tarballs by the real npm, globally into ~/.local (links in
  // ~/.local/bin into ~/.local/lib/node_modules) or into a project (hoisted, node_modules/.bin).
  private Path npmPackages() throws IOException, InterruptedException {
    needs("/usr/bin/npm", "/usr/bin/node");
    Path src = Files.createDirectories(tmp.resolve("src"));
    Path dep = Files.createDirectories(src.resolve("agent-native"));
    Files.writeString(
        dep.resolve("package.json"),
        "{\"name\":\"agent-native\",\"version\":\"1.0.0\",\"bin\":{\"agent-native\":\"native\"}}");
    Files.writeString(dep.resolve("index.js"), "module.exports = 'from the dependency';\n");
    Files.copy(Path.of("/bin/echo"), dep.resolve("native"), StandardCopyOption.REPLACE_EXISTING);
    Path depTgz = npm(src, "pack", "./agent-native");
    Path agent = Files.createDirectories(src.resolve("agent"));
    Files.writeString(
        agent.resolve("package.json"),
        "{\"name\":\"agent\",\"version\":\"1.0.0\",\"bin\":{\"agent\":\"bin/agent.js\"},"
            + "\"dependencies\":{\"agent-native\":\"file:"
            + depTgz
            + "\"}}");
    Files.createDirectories(agent.resolve("bin"));
    Files.writeString(
        agent.resolve("bin/agent.js"),
        """
        #!/usr/bin/env node
        const native = require.resolve('agent-native/native');
        const out = require('child_process').execFileSync(native, ['native ran']).toString();
        console.log(require('agent-native') + '; ' + out.trim() + '; args ' + process.argv.slice(2));
        """);
    return npm(src, "pack", "./agent");
  }

  private Path npm(Path dir, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("/usr/bin/npm"));
    command.addAll(List.of(args));
    command.addAll(
        List.of(
            "--no-audit", "--no-fund", "--offline", "--loglevel=error", "--update-notifier=false"));
    Path err = Files.createTempFile(tmp, "npm", ".err");
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    pb.environment().put("HOME", home.toString());
    pb.environment().put("npm_config_cache", tmp.resolve("npm-cache").toString());
    pb.redirectError(err.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    Process p = pb.start();
    // Only stdout: npm pack prints the tarball's name there, notices go to stderr.
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(3, TimeUnit.MINUTES), "npm " + String.join(" ", args));
    assertEquals(
        0, p.exitValue(), "npm " + String.join(" ", args) + ": " + out + Files.readString(err));
    List<String> lines = out.strip().lines().toList();
    return dir.resolve(lines.isEmpty() ? "" : lines.getLast().strip());
  }

  private static void needs(String... programs) {
    for (String p : programs) {
      boolean there = Files.isExecutable(Path.of(p));
      // .ci/run installs node and npm: missing there is a broken CI, not a reason to skip.
      assertTrue(there || !"true".equals(System.getenv("CI")), "needs " + p);
      assumeTrue(there, "needs " + p);
    }
  }

  @Test
  void anNpmLauncherLinkedFromLocalBinRunsWithItsWholePackage() throws Exception {
    Path tgz = npmPackages();
    npm(tmp, "install", "-g", "--prefix", home + "/.local", tgz.toString());
    assertTrue(Files.isSymbolicLink(home.resolve(".local/bin/agent")));
    // Without the toolchains: the entrypoint alone brings its package, link and interpreter.
    world.config("toolchains = []\n");
    Jails alone = jails("/usr/bin:/bin");
    alone.create(
        CreateOptions.builder("npm", repo.dir)
            .entrypoint(List.of("~/.local/bin/agent", "--flag=~/x"))
            .build());
    Ran r = run(alone, "npm", alone.entrypointWith("npm", List.of("more")));
    assertEquals(0, r.status(), r.output());
    assertEquals("from the dependency; native ran; args --flag=" + home + "/x,more\n", r.output());

    // With them: ~/.local/bin on PATH, its links followed into the package they belong to.
    world.config("");
    Jails tools = jails("/usr/bin:/bin");
    tools.create("npm2", repo.dir);
    Ran byName =
        sh(
            tools,
            "npm2",
            "agent by-name; touch ~/.local/lib/node_modules/x 2>/dev/null || echo RO");
    assertEquals(new Ran(0, "from the dependency; native ran; args by-name\nRO\n"), byName);
  }

  @Test
  void anNpmProjectsHoistedBinAndANativeProgramInsideAPackageRun() throws Exception {
    Path tgz = npmPackages();
    Path project = Files.createDirectories(home.resolve("project"));
    npm(project, "install", tgz.toString());
    Path bin = project.resolve("node_modules/.bin/agent");
    Path nativeProgram = project.resolve("node_modules/agent-native/native");
    assertTrue(Files.isSymbolicLink(bin));
    world.config("toolchains = []\n");
    Jails jails = jails("/usr/bin:/bin");
    jails.create(
        CreateOptions.builder("hoisted", repo.dir).entrypoint(List.of(bin.toString())).build());
    Ran r = run(jails, "hoisted", List.of());
    assertEquals(0, r.status(), r.output());
    assertEquals("from the dependency; native ran; args \n", r.output());
    jails.create(
        CreateOptions.builder("native", repo.dir)
            .entrypoint(List.of(nativeProgram.toString(), "hello"))
            .build());
    assertEquals(new Ran(0, "hello\n"), run(jails, "native", List.of()));
  }

  @Test
  void aSystemProgramSpelledThroughTheHostsTopLevelLinkRuns() throws IOException {
    // On a usr-merged host /bin is a link, which the jail has too: the entrypoint /bin/sh must
    // not get a link of its own there (it failed every run with EEXIST).
    Assumptions.assumeTrue(Files.isSymbolicLink(Path.of("/bin")), "/bin is not a link here");
    world.config("toolchains = []\n");
    Jails jails = jails("/usr/bin:/bin");
    jails.create(
        CreateOptions.builder("sh", repo.dir)
            .entrypoint(List.of("/bin/sh", "-c", "echo ran as $0"))
            .build());
    assertEquals(new Ran(0, "ran as /bin/sh\n"), run(jails, "sh", List.of()));
  }

  @Test
  void anInterpreterThatEnvFindsOutsideTheSystemIsFound() throws IOException {
    Path elsewhere = Files.createDirectories(tmp.resolve("opt/bin"));
    Path interp = elsewhere.resolve("myshell");
    Files.writeString(interp, "#!/bin/sh\necho interpreted by myshell; exec /bin/sh \"$@\"\n");
    Files.setPosixFilePermissions(interp, PosixFilePermissions.fromString("rwxr-xr-x"));
    file("tools/hello", "#!/usr/bin/env myshell\necho hello from the script\n", "rwxr-xr-x");
    world.config("toolchains = []\n");
    Jails jails = jails(elsewhere + ":/usr/bin:/bin");
    jails.create(
        CreateOptions.builder("env", repo.dir).entrypoint(List.of("~/tools/hello")).build());
    assertEquals(
        new Ran(0, "interpreted by myshell\nhello from the script\n"),
        run(jails, "env", List.of()));
  }

  @Test
  void codexsOwnLauncherRunsWhenTheAgentsAreInstalled() throws IOException {
    // .ci/run installs the real agents (AgentPackages skips without them, or fails with CI=true);
    // the jail gets the link the user runs, not its target.
    AgentPackages.codex();
    Path codex = AgentPackages.dir().resolve("node_modules/.bin/codex");
    world.config("toolchains = []\n");
    Jails jails = jails("/usr/bin:/bin");
    jails.create(
        CreateOptions.builder("codex", repo.dir)
            .entrypoint(List.of(codex.toString(), "--version"))
            .build());
    Ran r = run(jails, "codex", List.of());
    assertEquals(0, r.status(), r.output());
    // It may warn first that its home is under /tmp, as a test's is.
    assertTrue(r.output().lines().anyMatch(l -> l.startsWith("codex-cli ")), r.output());
  }
}
