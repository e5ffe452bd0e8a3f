package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A jail's own network settings: how they combine with the configuration, and how they keep. */
class JailNetworkTest {
  @TempDir Path dir;

  private static Config config(String toml, Path dir) throws IOException {
    return ConfigLoader.load(Files.writeString(dir.resolve("config.toml"), toml), Path.of("/h"));
  }

  @Test
  void theJailsModeWinsAndItsEntriesAndPortsAddToTheConfigurations() throws IOException {
    Config c =
        config(
            "network_enabled = false\nhost_ports = [5432, 11434]\nnetwork_allow = [\"a.test\"]\n",
            dir);
    JailNetwork.Effective config = JailNetwork.CONFIG.effective(c, Optional.empty(), "c.toml");
    assertEquals(Config.NetworkMode.NONE, config.mode());
    JailNetwork own = new JailNetwork(Config.NetworkMode.PROXY, List.of("b.test:443"), List.of(80));
    JailNetwork.Effective jail = own.effective(c, Optional.empty(), "c.toml");
    assertEquals(Config.NetworkMode.PROXY, jail.mode());
    assertEquals(List.of(80, 5432, 11434), own.effectiveHostPorts(c));
    assertEquals(List.of(80, 5432, 11434), jail.hostPorts());
    assertTrue(jail.allowlist().allowsName("a.test", 1));
    assertTrue(jail.allowlist().allowsName("b.test", 443));
    assertFalse(jail.allowlist().allowsName("b.test", 80));
    assertFalse(config.allowlist().allowsName("b.test", 443));
  }

  @Test
  void badEntriesAreInvalidInput() {
    assertThrows(
        InvalidInputException.class,
        () -> new JailNetwork(null, List.of("exa*mple.com"), List.of()));
    assertThrows(InvalidInputException.class, () -> new JailNetwork(null, List.of(), List.of(0)));
  }

  @Test
  void hostPortsInTheConfigurationAreCheckedWithTheirLine() throws IOException {
    Path file = Files.writeString(dir.resolve("bad.toml"), "# ports\nhost_ports = [5432, 99999]\n");
    ConfigException e =
        assertThrows(ConfigException.class, () -> ConfigLoader.load(file, Path.of("/h")));
    assertTrue(
        e.getMessage().endsWith(":2: host_ports[1] must be a port from 1 to 65535, not 99999"),
        e.getMessage());
    Path text = Files.writeString(dir.resolve("text.toml"), "host_ports = [\"5432\"]\n");
    assertThrows(ConfigException.class, () -> ConfigLoader.load(text, Path.of("/h")));
  }

  @Test
  void theStateKeepsTheSettingsAndAPlantedModeOrEntryIsCorruption() throws IOException {
    Path file = dir.resolve("state/jails.json");
    StateStore store = new StateStore(file);
    JailNetwork own = new JailNetwork(Config.NetworkMode.NONE, List.of("x.test"), List.of(5432));
    JailState a = StateStoreWriter.jail("a").withNetwork(own);
    store.put(a);
    store.put(StateStoreWriter.jail("b"));
    assertEquals(own, new StateStore(file).get(JailName.of("a")).orElseThrow().network());
    assertEquals(
        JailNetwork.CONFIG, new StateStore(file).get(JailName.of("b")).orElseThrow().network());
    String written = Files.readString(file);
    Files.writeString(file, written.replace("\"none\"", "\"wide-open\""));
    StateException e = assertThrows(StateException.class, store::list);
    assertTrue(e.getMessage().contains("jail \"a\" has an unknown network mode"), e.getMessage());
    Files.writeString(file, written.replace("\"x.test\"", "\"*.*\""));
    assertThrows(StateException.class, store::list);
    Files.writeString(file, written.replace("5432", "0"));
    assertThrows(StateException.class, store::list);
  }

  @Test
  void theRecordThatRepairRebuildsFromKeepsTheSettings() {
    JailLayout layout =
        new JailLayout(
            new Dirs(dir.resolve("data"), dir.resolve("config.toml"), dir.resolve("jails.json")));
    JailNetwork own = new JailNetwork(Config.NetworkMode.HOST, List.of(), List.of(8080));
    JailState a = StateStoreWriter.jail("a").withNetwork(own);
    JailRecords.write(layout, a);
    List<JailRecords.Found> found = JailRecords.readAll(layout);
    assertEquals(1, found.size());
    assertEquals(own, found.getFirst().jail().network());
  }

  private static <T> T pick(java.util.Random r, List<T> from) {
    return from.get(r.nextInt(from.size()));
  }

  // Property over seeded random combinations: the most specific mode wins (the jail's own, then
  // its profile's, then the configuration's, network_enabled = false meaning none), the profile's
  // network_allow_defaults wins over the configuration's, and every layer's entries are allowed.
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
  void theMostSpecificModeWinsAndEveryLayersEntriesAddUp(long seed) throws IOException {
    java.util.Random r = new java.util.Random(seed);
    List<Config.NetworkMode> modes =
        new java.util.ArrayList<>(List.of(Config.NetworkMode.values()));
    List<Config.NetworkMode> orNull = new java.util.ArrayList<>(modes);
    orNull.add(null);
    for (int round = 0; round < 40; round++) {
      Config.NetworkMode configured = pick(r, modes);
      boolean enabled = r.nextBoolean();
      boolean configDefaults = r.nextBoolean();
      Config.NetworkMode own = pick(r, orNull);
      Config.NetworkMode profiled = pick(r, orNull);
      Boolean profileDefaults = pick(r, java.util.Arrays.asList(true, false, null));
      boolean withAgent = r.nextBoolean();
      String toml =
          "network = \""
              + configured.key()
              + "\"\nnetwork_enabled = "
              + enabled
              + "\nnetwork_allow_defaults = "
              + configDefaults
              + "\nnetwork_allow = [\"conf.test:443\"]\n"
              + "[agent.p]\ncommand = \"p\"\nhosts = [\"agent.test:443\"]\n"
              + (profiled == null ? "" : "network = \"" + profiled.key() + "\"\n")
              + (profileDefaults == null
                  ? ""
                  : "network_allow_defaults = " + profileDefaults + "\n");
      Config c = config(toml, dir);
      java.util.Optional<AgentProfile> agent =
          withAgent
              ? java.util.Optional.of(AgentProfiles.load(dir.resolve("config.toml")).require("p"))
              : java.util.Optional.empty();
      JailNetwork jail = new JailNetwork(own, List.of("jail.test:443"), List.of());
      JailNetwork.Effective e = jail.effective(c, agent, "config.toml");

      Config.NetworkMode expected =
          own != null
              ? own
              : withAgent && profiled != null
                  ? profiled
                  : enabled ? configured : Config.NetworkMode.NONE;
      String why = seed + "/" + round + ": " + c + " " + jail + " " + agent;
      assertEquals(expected, e.mode(), why);
      assertEquals(
          own != null
              ? "create --network"
              : withAgent && profiled != null
                  ? "agent profile p, " + dir.resolve("config.toml") + ":8"
                  : !enabled
                      ? "network_enabled = false in config.toml"
                      : configured == Config.NetworkMode.PROXY
                          ? "the default"
                          : "network in config.toml",
          e.from(),
          why);
      boolean defaults = withAgent && profileDefaults != null ? profileDefaults : configDefaults;
      assertEquals(defaults, e.defaults(), why);
      assertEquals(defaults, e.allowlist().allowsName("registry.npmjs.org", 443), why);
      assertTrue(e.allowlist().allowsName("conf.test", 443), why);
      assertTrue(e.allowlist().allowsName("jail.test", 443), why);
      assertEquals(withAgent, e.allowlist().allowsName("agent.test", 443), why);
    }
  }
}
