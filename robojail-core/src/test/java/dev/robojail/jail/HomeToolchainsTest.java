package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which directories of a home become visible in a jail, and which never do. */
class HomeToolchainsTest {
  @TempDir Path tmp;
  Path home;
  HiddenPaths hidden;

  @BeforeEach
  void setUp() throws IOException {
    home = Files.createDirectories(tmp.resolve("home")).toRealPath();
    hidden = HiddenPaths.of(Config.DEFAULTS, home);
  }

  private Path program(String relative) throws IOException {
    Path p = home.resolve(relative);
    Files.createDirectories(p.getParent());
    Files.writeString(p, "#!/bin/sh\necho " + p.getFileName() + "\n");
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    return p;
  }

  private HomeToolchains.Found detect(String path) {
    return detect(Map.of("PATH", path), Set.copyOf(HomeToolchains.KINDS), List.of());
  }

  private HomeToolchains.Found detect(
      Map<String, String> env, Set<String> kinds, List<Path> extra) {
    return HomeToolchains.detect(home, env, kinds, extra, hidden);
  }

  private List<String> sources(HomeToolchains.Found f) {
    return f.binds().stream().map(b -> home.relativize(b.source()).toString()).sorted().toList();
  }

  @Test
  void eachKindIsFoundAtItsRealPathAndPathKeepsTheUsersOrder() throws IOException {
    program(".nvm/versions/node/v18.1.0/bin/node");
    program(".nvm/versions/node/v20.9.0/bin/node");
    program(".nvm/versions/node/v20.11.1/bin/node");
    Files.writeString(
        Files.createDirectories(home.resolve(".nvm/alias")).resolve("default"), "20\n");
    program(".pyenv/shims/python");
    program(".pyenv/bin/pyenv");
    program(".cargo/bin/cargo");
    Files.createDirectories(home.resolve(".rustup/toolchains"));
    program(".sdkman/candidates/java/17.0.1-tem/bin/java");
    Files.createSymbolicLink(
        home.resolve(".sdkman/candidates/java/current"), Path.of("17.0.1-tem"));
    program(".local/go/bin/go");
    Files.writeString(home.resolve(".local/go/VERSION"), "go1.22.0\n");
    program("go/bin/gopls");
    program(".local/bin/tool");
    Files.createDirectories(home.resolve(".local/lib/python3.12/site-packages"));
    program("bin/mine");

    // The user put ~/bin and cargo first; the rest follows in detection order.
    HomeToolchains.Found f =
        detect(home + "/bin:/usr/bin:" + home + "/.cargo/bin:/opt/elsewhere/bin");
    assertEquals(
        List.of(
            ".cargo/bin",
            ".local/bin",
            ".local/go",
            ".local/lib/python3.12",
            ".nvm/versions/node/v20.11.1",
            ".pyenv",
            ".rustup",
            ".sdkman/candidates",
            "bin",
            "go/bin"),
        sources(f));
    assertEquals(
        List.of(
            home + "/bin",
            home + "/.cargo/bin",
            home + "/.nvm/versions/node/v20.11.1/bin",
            home + "/.pyenv/shims",
            home + "/.pyenv/bin",
            home + "/.sdkman/candidates/java/17.0.1-tem/bin",
            home + "/.local/go/bin",
            home + "/go/bin",
            home + "/.local/bin"),
        f.path());
    assertTrue(f.refused().isEmpty(), f.refused().toString());
    assertEquals(7, f.added().size(), f.added().toString());
  }

  @Test
  void theVersionOnTheUsersPathWinsOverNvmsDefault() throws IOException {
    program(".nvm/versions/node/v18.1.0/bin/node");
    program(".nvm/versions/node/v20.11.1/bin/node");
    Files.writeString(
        Files.createDirectories(home.resolve(".nvm/alias")).resolve("default"), "20\n");
    HomeToolchains.Found f = detect(home + "/.nvm/versions/node/v18.1.0/bin:/usr/bin");
    assertEquals(List.of(".nvm/versions/node/v18.1.0"), sources(f));
  }

  @Test
  void onlyTheConfiguredKindsAndTheConfiguredPath() throws IOException {
    program(".cargo/bin/cargo");
    program(".local/bin/tool");
    program("tools/bin/x");
    HomeToolchains.Found f =
        detect(
            Map.of("PATH", home + "/.cargo/bin"),
            Set.of("local"),
            List.of(home.resolve("tools/bin")));
    assertEquals(List.of(".local/bin", "tools/bin"), sources(f));
    assertEquals(List.of(home + "/tools/bin", home + "/.local/bin"), f.path());
    assertTrue(detect(Map.of("PATH", home + "/.cargo/bin"), Set.of(), List.of()).binds().isEmpty());
  }

  @Test
  void theHomeItselfNeverBecomesVisible() throws IOException {
    Files.createSymbolicLink(home.resolve("bin"), home);
    Files.createSymbolicLink(home.resolve("up"), home.getParent());
    HomeToolchains.Found f = detect(home + ":" + home + "/bin:" + home + "/up:" + home.getParent());
    assertEquals(List.of(), f.binds());
    assertEquals(List.of(), f.path());
    String refused = String.join("\n", f.refused());
    assertTrue(refused.contains("the PATH entry " + home + " not made visible"), refused);
    assertTrue(refused.contains("~/bin not made visible: it is the home directory"), refused);
    assertTrue(refused.contains("~/up not made visible: it holds the home"), refused);
  }

  @Test
  void aDirectoryInsideAHiddenPathOrLeadingOutOfTheHomeIsRefused() throws IOException {
    program(".ssh/bin/helper");
    Path outside = Files.createDirectories(tmp.resolve("outside/bin"));
    Files.createSymbolicLink(home.resolve("linked"), outside);
    HomeToolchains.Found f = detect(home + "/.ssh/bin:" + home + "/linked:/usr/bin");
    assertEquals(List.of(), f.binds());
    String refused = String.join("\n", f.refused());
    assertTrue(
        refused.contains("~/.ssh/bin not made visible: it is inside the hidden path"), refused);
    assertTrue(refused.contains("~/linked not made visible: it leads out of the home"), refused);
  }

  @Test
  void aToolchainsOwnVariablePointingOutOfTheHomeIsIgnored() throws IOException {
    Path elsewhere = Files.createDirectories(tmp.resolve("other/.pyenv/shims"));
    HomeToolchains.Found f =
        detect(
            Map.of(
                "PYENV_ROOT",
                elsewhere.getParent().toString(),
                "CARGO_HOME",
                tmp.toString(),
                "PATH",
                elsewhere.toString()),
            Set.copyOf(HomeToolchains.KINDS),
            List.of());
    assertEquals(List.of(), f.binds());
    assertEquals(Map.of(), f.env());
  }

  @Test
  void aLinkOutOfABinDirectoryIsFollowedOnlyIntoTheNpmPackageItBelongsTo() throws IOException {
    Path bin = Files.createDirectories(home.resolve(".local/bin"));
    Path script = program(".local/lib/node_modules/agent/bin/agent.js");
    program(".local/lib/node_modules/agent/node_modules/dep/index.js");
    Files.createSymbolicLink(bin.resolve("agent"), script);
    Path key = Files.createDirectories(home.resolve(".ssh")).resolve("id_ed25519");
    Files.writeString(key, "secret\n");
    Files.createSymbolicLink(bin.resolve("key"), key);
    Files.writeString(home.resolve("notes.txt"), "private\n");
    Files.createSymbolicLink(bin.resolve("notes"), home.resolve("notes.txt"));
    Path hiddenPkg = program(".aws/node_modules/creds/bin/x.js");
    Files.createSymbolicLink(bin.resolve("creds"), hiddenPkg);
    Files.createSymbolicLink(bin.resolve("sh"), Path.of("/bin/sh"));

    HomeToolchains.Found f = detect("/usr/bin");
    assertEquals(List.of(".local/bin", ".local/lib/node_modules"), sources(f));
    String refused = String.join("\n", f.refused());
    assertTrue(refused.contains("~/.local/bin/key -> ~/.ssh/id_ed25519 not followed"), refused);
    assertTrue(refused.contains("~/.local/bin/notes -> ~/notes.txt not followed"), refused);
    assertTrue(refused.contains("~/.aws/node_modules not made visible: it is inside"), refused);
    assertTrue(!refused.contains("/bin/sh"), refused);
  }
}
