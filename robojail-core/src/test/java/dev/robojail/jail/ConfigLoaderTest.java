package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  private static final Path HOME = Path.of("/home/u");
  @TempDir Path dir;

  private Path file(String toml) throws IOException {
    return Files.writeString(dir.resolve("config.toml"), toml);
  }

  private ConfigException failure(String toml) throws IOException {
    Path file = file(toml);
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, HOME));
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    assertTrue(e.getMessage().startsWith(file + ":"), e.getMessage());
    return e;
  }

  @Test
  void missingFileGivesDefaults() {
    assertEquals(Config.DEFAULTS, ConfigLoader.load(dir.resolve("nope.toml"), HOME));
    assertEquals("/bin/bash", Config.DEFAULTS.defaultShell());
    assertTrue(Config.DEFAULTS.networkEnabled());
    assertTrue(
        Config.DEFAULTS
            .hiddenPaths()
            .containsAll(
                List.of(
                    ".ssh",
                    ".gnupg",
                    ".aws",
                    ".config/gcloud",
                    ".kube",
                    ".docker",
                    ".netrc",
                    ".git-credentials",
                    ".npmrc",
                    ".pypirc",
                    ".config/gh",
                    ".m2/settings.xml")),
        Config.DEFAULTS.hiddenPaths().toString());
    assertEquals(List.of("TERM", "LANG", "LC_ALL", "COLORTERM"), Config.DEFAULTS.envPassthrough());
  }

  @Test
  void theNetworkIsProxiedByDefaultAndItsModeAndAllowlistAreRead() throws IOException {
    assertEquals(Config.NetworkMode.PROXY, Config.DEFAULTS.effectiveNetwork());
    assertTrue(Config.DEFAULTS.allowlist().allowsName("registry.npmjs.org", 443));
    Config c =
        ConfigLoader.load(
            file(
                """
                network = "proxy"
                network_allow = ["*.example.com:443", "[::1]:8080", "192.0.2.7"]
                network_allow_defaults = false
                """),
            HOME);
    assertTrue(c.allowlist().allowsName("api.example.com", 443));
    assertFalse(c.allowlist().allowsName("registry.npmjs.org", 443));
    assertEquals(3, c.allowlist().entries().size());
    assertEquals(
        Config.NetworkMode.HOST, ConfigLoader.load(file("network = \"host\"\n"), HOME).network());
    Config off = ConfigLoader.load(file("network = \"host\"\nnetwork_enabled = false\n"), HOME);
    assertEquals(Config.NetworkMode.NONE, off.effectiveNetwork());
  }

  @Test
  void aBadNetworkModeOrAllowlistEntryNamesItsFileAndLine() throws IOException {
    ConfigException e = failure("# jail\nnetwork = \"open\"\n");
    assertTrue(
        e.getMessage()
            .endsWith(":2: network must be \"proxy\", \"host\" or \"none\", not \"open\""),
        e.getMessage());
    e = failure("network_allow = [\n  \"github.com\",\n  \"exa*mple.com\",\n]\n");
    assertTrue(e.getMessage().contains(":3: network_allow[1] \"exa*mple.com\": "), e.getMessage());
    e = failure("network_allow = [\"bad\\u0000name\"]\n");
    assertTrue(e.getMessage().contains("control characters"), e.getMessage());
    e = failure("network_allow = [\"host:99999\"]\n");
    assertTrue(e.getMessage().contains("port"), e.getMessage());
  }

  @Test
  void emptyFileGivesDefaults() throws IOException {
    assertEquals(Config.DEFAULTS, ConfigLoader.load(file(""), HOME));
  }

  @Test
  void readsEveryKey() throws IOException {
    Config config =
        ConfigLoader.load(
            file(
                """
                default_shell = "/bin/zsh"
                network_enabled = false
                extra_ro_binds = ["/opt/tools", "~/.m2:/cache/m2"]
                extra_rw_binds = ["~", "~/work/../cache:/var/cache"]
                hidden_paths = [".netrc", "~/.secret"]
                env_passthrough = ["TERM", "MY_VAR"]
                """),
            HOME);
    assertEquals("/bin/zsh", config.defaultShell());
    assertFalse(config.networkEnabled());
    assertEquals(
        List.of(
            BindSpec.same(Path.of("/opt/tools")),
            new BindSpec(Path.of("/home/u/.m2"), "/cache/m2")),
        config.extraRoBinds());
    assertEquals(
        List.of(BindSpec.same(HOME), new BindSpec(Path.of("/home/u/cache"), "/var/cache")),
        config.extraRwBinds());
    assertEquals(List.of(".netrc", ".secret"), config.hiddenPaths());
    assertEquals(List.of("TERM", "MY_VAR"), config.envPassthrough());
  }

  @Test
  void wrongTypeNamesFileLineAndKey() throws IOException {
    Path file = file("# robojail\ndefault_shell = \"/bin/sh\"\nnetwork_enabled = \"yes\"\n");
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, HOME));
    assertEquals(file + ":3: network_enabled must be true or false, not \"yes\"", e.getMessage());
    assertEquals(3, e.line());
  }

  @Test
  void unknownKeyIsAnError() throws IOException {
    ConfigException e = failure("network_enabled = true\nnetwork_enable = false\n");
    assertTrue(e.getMessage().contains(":2: unknown key \"network_enable\""), e.getMessage());
  }

  @Test
  void unknownTableIsAnError() throws IOException {
    ConfigException e = failure("[binds]\nro = []\n");
    assertTrue(e.getMessage().contains("unknown key \"binds\""), e.getMessage());
  }

  @Test
  void brokenTomlNamesLineAndColumn() throws IOException {
    ConfigException e = failure("default_shell = \"/bin/sh\"\nnetwork_enabled = tru\n");
    assertEquals(2, e.line());
    assertTrue(e.column() > 0);
    assertTrue(e.getMessage().matches(".*:2:\\d+: .*"), e.getMessage());
  }

  @Test
  void arrayElementOfWrongTypeNamesIndex() throws IOException {
    ConfigException e = failure("hidden_paths = [\n  \".ssh\",\n  42,\n]\n");
    assertTrue(
        e.getMessage().endsWith(":3: hidden_paths[1] must be a string, not 42"), e.getMessage());
  }

  @Test
  void relativeBindIsAnError() throws IOException {
    ConfigException e = failure("\nextra_ro_binds = [\"src/dir\"]\n");
    assertTrue(
        e.getMessage()
            .contains(":2: extra_ro_binds[0] \"src/dir\": source \"src/dir\" is not absolute"),
        e.getMessage());
    e = failure("extra_rw_binds = [\"/a:relative\"]\n");
    assertTrue(e.getMessage().contains("target \"relative\" is not absolute"), e.getMessage());
  }

  @Test
  void aBindTargetThatCannotBeMadeInAReadOnlySystemDirectoryNamesItsFileAndLine()
      throws IOException {
    ConfigException e =
        failure("\n\nextra_ro_binds = [\"/tmp:/usr/share/robojail-no-such-dir\"]\n");
    assertEquals(3, e.line());
    assertTrue(
        e.getMessage()
            .contains(
                "extra_ro_binds[0] \"/tmp:/usr/share/robojail-no-such-dir\": target"
                    + " /usr/share/robojail-no-such-dir does not exist, and /usr is read-only"),
        e.getMessage());
    // Followed as the jail follows it: /bin is a link to usr/bin on merged-/usr systems.
    assertTrue(
        failure("extra_rw_binds = [\"/tmp:/bin/robojail-no-such-dir\"]\n")
            .getMessage()
            .contains("is read-only in a jail"));
    // An existing target is a mount point already, and a target elsewhere is made in the root.
    ConfigLoader.load(file("extra_ro_binds = [\"/tmp:/usr/share\", \"/tmp:/opt/x\"]\n"), HOME);
  }

  @Test
  void stringWhereArrayExpected() throws IOException {
    ConfigException e = failure("env_passthrough = \"TERM\"\n");
    assertTrue(
        e.getMessage().endsWith(":1: env_passthrough must be an array of strings, not \"TERM\""),
        e.getMessage());
  }

  @Test
  void invalidValues() throws IOException {
    assertTrue(
        failure("default_shell = \"bash\"\n").getMessage().contains("must be an absolute path"));
    assertTrue(
        failure("env_passthrough = [\"A=B\"]\n")
            .getMessage()
            .contains("not an environment variable name"));
    assertTrue(failure("hidden_paths = [\"../x\"]\n").getMessage().contains("no \"..\""));
  }

  @Test
  void controlCharactersInValuesAreNotEchoed() throws IOException {
    ConfigException e = failure("network_enabled = \"\\u001b[2J\"\n");
    assertFalse(e.getMessage().contains("\u001b"), e.getMessage());
  }

  @Test
  void limitsAreReadAndChecked() throws IOException {
    Config c =
        ConfigLoader.load(
            file("max_open_files = 1024\nmax_processes = 200\ncore_dumps = true\n"), HOME);
    assertEquals(1024, c.maxOpenFiles());
    assertEquals(200, c.maxProcesses());
    assertEquals(true, c.coreDumps());
    assertEquals(65536, Config.DEFAULTS.maxOpenFiles());
    assertEquals(4096, Config.DEFAULTS.maxProcesses());
    assertEquals(false, Config.DEFAULTS.coreDumps());
    ConfigException e = failure("\nmax_processes = 0\n");
    assertTrue(
        e.getMessage().endsWith(":2: max_processes must be a positive whole number, not 0"),
        e.getMessage());
    e = failure("max_open_files = \"lots\"\n");
    assertTrue(
        e.getMessage().contains(":1: max_open_files must be a positive whole number"),
        e.getMessage());
  }

  @Test
  void toolchainsAndPathAreReadAndAWrongOneNamesItsLine() throws IOException {
    Config c =
        ConfigLoader.load(
            file("toolchains = [\"nvm\", \"local\"]\npath = [\"~/tools/bin\"]\n"), HOME);
    assertEquals(List.of("nvm", "local"), c.toolchains());
    assertEquals(List.of(Path.of("/home/u/tools/bin")), c.path());
    assertEquals(HomeToolchains.KINDS, Config.DEFAULTS.toolchains());
    ConfigException kind = failure("network = \"proxy\"\ntoolchains = [\"brew\"]\n");
    assertTrue(kind.getMessage().contains(":2: toolchains[0] \"brew\""), kind.getMessage());
    assertTrue(
        kind.getMessage().contains("nvm, pyenv, cargo, sdkman, go, local, path"),
        kind.getMessage());
    for (String home : List.of("~", "~/", "/home", "/")) {
      ConfigException e = failure("path = [\n  \"~/ok\",\n  \"" + home + "\",\n]\n");
      assertTrue(e.getMessage().contains(":3: path[1]"), e.getMessage());
      assertTrue(e.getMessage().contains("whole home directory"), e.getMessage());
    }
    assertTrue(failure("path = [\"bin\"]\n").getMessage().contains("is not absolute"));
  }

  @Test
  void seedCachesAreOffByDefaultAndAnUnknownKindNamesItsLine() throws IOException {
    assertEquals(List.of(), Config.DEFAULTS.seedCaches());
    Config c = ConfigLoader.load(file("seed_caches = [\"maven\", \"go\"]\n"), HOME);
    assertEquals(List.of("maven", "go"), c.seedCaches());
    ConfigException e = failure("network = \"proxy\"\nseed_caches = [\"npm\", \"m2\"]\n");
    assertTrue(e.getMessage().contains(":2: seed_caches[1] \"m2\""), e.getMessage());
    assertTrue(e.getMessage().contains("maven, npm, pip, gradle, cargo, go"), e.getMessage());
  }
}
