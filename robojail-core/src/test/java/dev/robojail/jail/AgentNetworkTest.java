package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.net.HostPorts;
import dev.robojail.sandbox.Network;
import dev.robojail.sandbox.Sandbox;
import dev.robojail.testkit.TestRepo;
import dev.robojail.testkit.TestWorld;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent profile carries its own network: allowlist entries ({@code hosts}) and host loopback
 * ports ({@code host_ports}), added to the configuration's and the jail's, and shown by {@code
 * create} among what the profile exposes.
 */
class AgentNetworkTest {
  @TempDir Path tmp;

  private static final String CONFIG =
      """
      network_enabled = true
      host_ports = [5432]
      [agent.local]
      command = "/bin/sh"
      hosts = ["models.test:443"]
      host_ports = [11434, 5432]
      [agent.plain]
      command = "/bin/sh"
      """;

  @Test
  void aProfilesHostPortsAndHostsJoinTheConfigurationsAndTheJailsOwn() {
    TestWorld world = TestWorld.in(tmp).config(CONFIG);
    TestRepo repo = world.repo("repo");
    Jails jails = world.jails();
    JailState jail =
        jails.create(
            CreateOptions.builder("m", repo.dir)
                .agent("local")
                .network(new JailNetwork(null, List.of(), List.of(8080)))
                .build());
    Sandbox s = jails.sandbox(jail, List.of(), false);
    Network.Proxy proxy = (Network.Proxy) s.network();
    assertEquals(List.of(5432, 8080, 11434), proxy.hostPorts().ports());
    assertTrue(proxy.policy().allowlist().allowsName("models.test", 443));
    assertFalse(proxy.policy().allowlist().allowsName("models.test", 80));

    JailState plain = jails.create(CreateOptions.builder("p", repo.dir).agent("plain").build());
    Network.Proxy other = (Network.Proxy) jails.sandbox(plain, List.of(), false).network();
    assertEquals(List.of(5432), other.hostPorts().ports(), "another profile's ports stay its own");
    assertFalse(other.policy().allowlist().allowsName("models.test", 443));
  }

  @Test
  void createShowsThePortsAndHostsAProfileExposes() throws Exception {
    Path file = Files.writeString(tmp.resolve("config.toml"), CONFIG);
    List<String> lines = AgentProfiles.load(file).require("local").exposes();
    assertTrue(
        lines.contains("network (proxy mode) also allows: models.test:443"), lines.toString());
    assertTrue(
        lines.contains("the host's loopback ports, at " + HostPorts.NAME + ": 11434, 5432"),
        lines.toString());
    assertTrue(
        AgentProfiles.load(file).require("plain").exposes().stream()
            .noneMatch(l -> l.contains("loopback ports")));
  }

  @Test
  void aBadPortInAProfileNamesTheFileLineAndKey() throws Exception {
    Path file =
        Files.writeString(
            tmp.resolve("config.toml"), "[agent.x]\ncommand = \"x\"\nhost_ports = [0]\n");
    ConfigException e = assertThrows(ConfigException.class, () -> AgentProfiles.load(file));
    assertTrue(e.getMessage().startsWith(file + ":3:"), e.getMessage());
    assertTrue(
        e.getMessage().contains("host_ports[0] must be a port from 1 to 65535"), e.getMessage());
  }

  @Test
  void aProfilesModeAndDefaultsDecideBelowTheJailsOwnMode() {
    TestWorld world =
        TestWorld.in(tmp)
            .config(
                """
                network_allow = ["conf.test:443"]
                [agent.offline]
                command = "/bin/sh"
                network = "none"
                [agent.narrow]
                command = "/bin/sh"
                hosts = ["models.test:443"]
                network_allow_defaults = false
                [agent.claude]
                hosts = ["bedrock.test:443"]
                """);
    TestRepo repo = world.repo("repo");
    Jails jails = world.jails();
    JailState offline = jails.create(CreateOptions.builder("o", repo.dir).agent("offline").build());
    assertTrue(jails.sandbox(offline, List.of(), false).network() instanceof Network.Loopback);
    JailState proxied =
        jails.create(
            CreateOptions.builder("q", repo.dir)
                .agent("offline")
                .network(new JailNetwork(Config.NetworkMode.PROXY, List.of(), List.of()))
                .build());
    assertTrue(
        jails.sandbox(proxied, List.of(), false).network() instanceof Network.Proxy,
        "the jail's own mode wins over its profile's");

    JailState narrow = jails.create(CreateOptions.builder("n", repo.dir).agent("narrow").build());
    Network.Proxy p = (Network.Proxy) jails.sandbox(narrow, List.of(), false).network();
    assertTrue(p.policy().allowlist().allowsName("models.test", 443));
    assertTrue(p.policy().allowlist().allowsName("conf.test", 443), "the user's own entries stay");
    assertFalse(p.policy().allowlist().allowsName("registry.npmjs.org", 443), "no defaults");
    assertFalse(p.policy().allowlist().allowsName("api.anthropic.com", 443));

    // A partial [agent.claude] extends the built-in: it needs no command, and its hosts replace
    // the built-in's while the default allowlist still applies.
    JailState claude =
        jails.create(
            CreateOptions.builder("c", repo.dir)
                .agent("claude")
                .entrypoint(List.of("/bin/sh"))
                .build());
    Network.Proxy cp = (Network.Proxy) jails.sandbox(claude, List.of(), false).network();
    assertTrue(cp.policy().allowlist().allowsName("bedrock.test", 443));
    assertTrue(cp.policy().allowlist().allowsName("registry.npmjs.org", 443));
    assertEquals("claude", jails.agent(claude).orElseThrow().command());
  }
}
