package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The state file's codec, as properties over seeded random states: what is written reads back
 * equal, whatever the strings hold (quotes, backslashes, control characters, non-ASCII), and every
 * truncation of a written file is corrupt — never a smaller set of jails read as if it were whole.
 */
class StateCodecTest {
  static LongStream seeds() {
    return LongStream.range(0, 40);
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void whatIsWrittenReadsBackEqual(long seed) throws Exception {
    SortedMap<JailName, JailState> jails = randomState(new Random(seed));
    // Sessions are volatile (SessionRecords): never written into the durable file.
    SortedMap<JailName, JailState> durable = new TreeMap<>(jails);
    durable.replaceAll((name, jail) -> jail.withSessions(List.of()));
    assertEquals(durable, StateCodec.decode(StateCodec.encode(jails)));
  }

  /** A file an older robojail wrote still reads, its sessions included, for StateStore to adopt. */
  @Test
  void sessionsAnOlderRobojailWroteAreRead() throws Exception {
    String old =
        """
        {"version": 1, "jails": {"j": {"repo": "/r", "branch": "robojail/j",
          "baseCommit": "%s", "worktree": "/d/jails/j", "gitDir": "/d/gitdirs/j.git",
          "created": "2026-11-01T00:00:00Z", "entrypoint": [], "phase": "READY", "owner": null,
          "sessions": [{"pid": 12, "startTime": 34, "bootId": "b"}],
          "supervisor": {"pid": 56, "startTime": 78, "bootId": "b"}}}}
        """
            .formatted("a".repeat(40));
    JailState j = StateCodec.decode(old.getBytes(StandardCharsets.UTF_8)).get(JailName.of("j"));
    assertEquals(List.of(new Supervisor(12, 34, "b"), new Supervisor(56, 78, "b")), j.sessions());
    String rewritten = new String(StateCodec.encode(Map.of(j.name(), j)), StandardCharsets.UTF_8);
    assertFalse(rewritten.contains("sessions") || rewritten.contains("supervisor"), rewritten);
  }

  /** A file as robojail 0.1.0 wrote it (jackson-core's generator, indented) reads whole. */
  @Test
  void aFileAsWrittenBeforeReads() throws Exception {
    String written =
        """
        {
          "version" : 1,
          "jails" : {
            "J" : {
              "repo" : "/tmp/s5/w/repo",
              "branch" : "robojail/J-52d70eab",
              "baseCommit" : "d98b5073e2abde075da61428ba25fcdca0e4705b",
              "worktree" : "/tmp/s5/w/data/robojail/jails/J",
              "gitDir" : "/tmp/s5/w/data/robojail/gitdirs/J.git",
              "created" : "2026-12-01T20:22:23.464295748Z",
              "entrypoint" : [ "/usr/bin/env", "a \\"b\\"\\n" ],
              "phase" : "READY",
              "owner" : null,
              "agent" : "claude",
              "network" : {
                "mode" : "none",
                "allow" : [ "example.com" ],
                "hostPorts" : [ 5432 ]
              }
            }
          }
        }""";
    JailState j = StateCodec.decode(written.getBytes(StandardCharsets.UTF_8)).get(JailName.of("J"));
    assertEquals(Instant.parse("2026-12-01T20:22:23.464295748Z"), j.created());
    assertEquals(List.of("/usr/bin/env", "a \"b\"\n"), j.entrypoint());
    assertEquals(
        new JailNetwork(Config.NetworkMode.NONE, List.of("example.com"), List.of(5432)),
        j.network());
    assertEquals(
        written, new String(StateCodec.encode(Map.of(j.name(), j)), StandardCharsets.UTF_8));
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void everyTruncationIsCorrupt(long seed) {
    SortedMap<JailName, JailState> jails = randomState(new Random(seed));
    jails.putIfAbsent(JailName.of("always"), jail(new Random(seed), "always"));
    byte[] whole = StateCodec.encode(jails);
    String text = new String(whole, StandardCharsets.UTF_8).stripTrailing();
    Random r = new Random(seed);
    for (int i = 0; i < 60; i++) {
      int cut = r.nextInt(text.length());
      byte[] part = text.substring(0, cut).getBytes(StandardCharsets.UTF_8);
      assertThrows(
          StateCodec.CorruptException.class, () -> StateCodec.decode(part), "cut at " + cut);
    }
  }

  /** Times robojail wrote, read without {@code DateTimeFormatter}, read as Instant.parse reads. */
  @ParameterizedTest
  @MethodSource("seeds")
  void createdTimesReadAsInstantParseReadsThem(long seed) {
    Random r = new Random(seed);
    for (int i = 0; i < 200; i++) {
      long second = r.nextLong(-62_167_219_200L, 253_402_300_800L);
      int nanos =
          switch (r.nextInt(4)) {
            case 0 -> 0;
            case 1 -> r.nextInt(1000) * 1_000_000;
            case 2 -> r.nextInt(1_000_000) * 1000;
            default -> r.nextInt(1_000_000_000);
          };
      Instant t = Instant.ofEpochSecond(second, nanos);
      assertEquals(t, StateCodec.instant(t.toString()));
      // a hand-edited fraction of any length
      String cut = t.toString().replaceFirst("(\\.\\d{" + (1 + r.nextInt(9)) + "})\\d*Z$", "$1Z");
      assertEquals(outcome(() -> Instant.parse(cut)), outcome(() -> StateCodec.instant(cut)), cut);
    }
  }

  @Test
  void oddTimesGetWhatInstantParseGives() {
    for (String text :
        List.of(
            "2026-02-29T00:00:00Z",
            "2028-02-29T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-12-00T00:00:00Z",
            "2026-12-01T24:00:00Z",
            "2026-12-01T23:60:00Z",
            "2026-12-31T23:59:60Z",
            "2026-12-01T20:22:23.Z",
            "2026-12-01T20:22:23.1234567890Z",
            "2026-12-01t20:22:23Z",
            "2026-12-01T20:22:23z",
            "2026-12-01T20:22:23+01:00",
            "2026-12-01T20:22Z",
            "+12026-12-01T20:22:23Z",
            "-0001-12-01T20:22:23Z",
            "2026-1a-01T20:22:23Z",
            "2026-12-01T20:22:2\u0661Z",
            "0000-01-01T00:00:00Z",
            " 2026-12-01T20:22:23Z",
            "")) {
      assertEquals(
          outcome(() -> Instant.parse(text)), outcome(() -> StateCodec.instant(text)), text);
    }
  }

  private static String outcome(java.util.function.Supplier<Instant> parse) {
    try {
      return parse.get().toString();
    } catch (RuntimeException e) {
      return e.getClass().getName();
    }
  }

  private static SortedMap<JailName, JailState> randomState(Random r) {
    SortedMap<JailName, JailState> jails = new TreeMap<>();
    int n = r.nextInt(5);
    for (int i = 0; i < n; i++) {
      String name = "j" + i + "-" + Integer.toString(r.nextInt(1_000_000), 36);
      jails.put(JailName.of(name), jail(r, name));
    }
    return jails;
  }

  private static JailState jail(Random r, String name) {
    JailState.Phase phase = JailState.Phase.values()[r.nextInt(JailState.Phase.values().length)];
    Supervisor owner = phase == JailState.Phase.READY ? null : supervisor(r);
    List<Supervisor> sessions = new ArrayList<>();
    for (int i = r.nextInt(3); i > 0; i--) {
      sessions.add(supervisor(r));
    }
    List<String> entrypoint = new ArrayList<>();
    for (int i = r.nextInt(4); i > 0; i--) {
      entrypoint.add(text(r));
    }
    return new JailState(
        JailName.of(name),
        Path.of("/repo/" + text(r).replace("/", "_").replace("\0", "")),
        "robojail/" + name + text(r),
        hex(r, r.nextBoolean() ? 40 : 64),
        Path.of("/data/jails/" + name),
        Path.of("/repo/.git/worktrees/" + name),
        Instant.ofEpochMilli(r.nextLong(0, 4_000_000_000_000L)),
        entrypoint,
        phase,
        owner,
        sessions,
        List.of("", "claude", "codex", "my-agent_2").get(r.nextInt(4)),
        network(r));
  }

  // A jail's own network, or the configuration's: both shapes must read back equal.
  private static JailNetwork network(Random r) {
    if (r.nextBoolean()) {
      return JailNetwork.CONFIG;
    }
    Config.NetworkMode[] modes = Config.NetworkMode.values();
    return new JailNetwork(
        r.nextBoolean() ? null : modes[r.nextInt(modes.length)],
        List.of("example.com", "*.npmjs.org:443", "10.0.0.7:5432").subList(0, r.nextInt(4)),
        List.of(5432, 11434).subList(0, r.nextInt(3)));
  }

  private static Supervisor supervisor(Random r) {
    return new Supervisor(r.nextLong(1, 1L << 40), r.nextLong(0, Long.MAX_VALUE), hex(r, 32));
  }

  private static final String ALPHABET = "ab/\"\\\n\t\u0001\u001b é日\uD83D\uDE00 '{}[]:,";

  private static String text(Random r) {
    StringBuilder s = new StringBuilder();
    for (int i = r.nextInt(12); i > 0; i--) {
      int at = r.nextInt(ALPHABET.length());
      char c = ALPHABET.charAt(at);
      if (Character.isHighSurrogate(c)) {
        s.append(c).append(ALPHABET.charAt(at + 1));
      } else if (!Character.isLowSurrogate(c)) {
        s.append(c);
      }
    }
    return s.toString();
  }

  private static String hex(Random r, int length) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < length; i++) {
      s.append(Character.forDigit(r.nextInt(16), 16));
    }
    return s.toString();
  }
}
