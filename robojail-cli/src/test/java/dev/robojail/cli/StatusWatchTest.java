package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.Await;
import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.ffm.Programs;
import dev.robojail.testkit.TestRepo;
import dev.robojail.testkit.TestWorld;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code status --json}'s per-file states and {@code status --watch}, through the real CLI. */
class StatusWatchTest {
  @TempDir Path tmp;
  TestWorld world;
  TestRepo repo;
  Path worktree;

  @BeforeEach
  void setUp() throws IOException {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
    world = TestWorld.in(tmp);
    repo = world.repo("repo");
    repo.write("a.txt", "1\n").write("b.txt", "1\n").commit("files");
    Result r = InProcess.run(world, "create", "--name", "w", "--repo", repo.dir.toString());
    assertEquals(0, r.code(), r.err());
    worktree = world.jails().list().getFirst().worktree();
  }

  @Test
  @NeedsUserNamespaces
  void statusJsonSaysPerFileWhetherTheJailCommittedItAndShowsSubmodulePointers() {
    String pointer = "1234567890abcdef1234567890abcdef12345678";
    Result run =
        InProcess.run(
            world,
            "run",
            "w",
            "--",
            "sh",
            "-c",
            "set -e; echo 2 > a.txt; git update-index --add --cacheinfo 160000,"
                + pointer
                + ",vendor/lib; git add a.txt; git commit -q -m committed; echo 2 > b.txt; git add b.txt;"
                + " echo new > c.txt");
    assertEquals(0, run.code(), run.err());
    Result r = InProcess.run(world, "status", "w", "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode status = JsonMapper.builder().build().readTree(r.out());
    Map<String, JsonNode> changes = new java.util.HashMap<>();
    status.get("changes").forEach(c -> changes.put(c.get("path").asString(), c));
    assertTrue(changes.get("a.txt").get("committed").asBoolean(), r.out());
    assertFalse(changes.get("a.txt").has("uncommitted"), r.out());
    assertFalse(changes.get("b.txt").get("committed").asBoolean(), r.out());
    assertEquals("staged", changes.get("b.txt").get("uncommitted").asString(), r.out());
    assertEquals("untracked", changes.get("c.txt").get("uncommitted").asString(), r.out());
    JsonNode lib = changes.get("vendor/lib");
    assertEquals("submodule", lib.get("kind").asString(), r.out());
    assertEquals("added", lib.get("submodule").asString());
    assertTrue(lib.get("oldCommit").isNull(), r.out());
    assertEquals(pointer, lib.get("newCommit").asString());
    assertEquals(1, status.get("submodules").asInt());
    List<String> flagged = new ArrayList<>();
    status.get("reviewFirst").forEach(f -> flagged.add(f.get("path").asString()));
    assertTrue(flagged.contains("vendor/lib"), r.out());

    Result text = InProcess.run(world, "status", "w");
    assertTrue(text.out().contains("  M a.txt  (committed)"), text.out());
    assertTrue(text.out().contains("  M b.txt  (staged)"), text.out());
    assertTrue(text.out().contains("  A c.txt  (untracked)"), text.out());
    assertTrue(text.out().contains("  S vendor/lib  (submodule added, committed)"), text.out());
  }

  @Test
  void watchWithoutATerminalPrintsABlockEachTimeTheStatusChanges() throws Exception {
    MainProcess robojail = new MainProcess(world);
    Path out = tmp.resolve("watch.out");
    Path err = tmp.resolve("watch.err");
    Process p = robojail.start(Map.of(), out, err, "status", "w", "--watch", "--interval", "0.2");
    try {
      Await.until("the first block", () -> read(out).contains("no uncommitted changes"));
      Files.writeString(worktree.resolve("new.txt"), "x\n");
      Await.until("a block with the new file", () -> read(out).contains("A new.txt"));
      Files.delete(worktree.resolve("new.txt"));
      Await.until("a block without it", () -> blocks(read(out)).size() >= 3);
    } finally {
      p.destroy();
      p.waitFor(30, TimeUnit.SECONDS);
    }
    List<String> blocks = blocks(read(out));
    for (int i = 1; i < blocks.size(); i++) {
      assertFalse(
          blocks.get(i).equals(blocks.get(i - 1)), "printed without a change:\n" + read(out));
    }
    assertFalse(read(out).contains("\u001b"), "escape sequences when no terminal:\n" + read(out));
    assertEquals("", read(err));
  }

  @Test
  void watchOnATerminalRedrawsInPlaceAndCtrlCRestoresTheTerminal() throws Exception {
    Programs.require("/usr/bin/script", "script(1), Debian's bsdutils");
    MainProcess robojail = new MainProcess(world);
    List<String> words = new ArrayList<>(robojail.javaCommand(Map.of()));
    words.addAll(List.of("status", "w", "--watch", "--interval", "0.2"));
    String command =
        words.stream()
            .map(w -> "'" + w.replace("'", "'\\''") + "'")
            .collect(Collectors.joining(" "));
    Path out = tmp.resolve("screen.out");
    Process p =
        robojail.start(
            List.of("/usr/bin/script", "-qefc", command, "/dev/null"),
            Map.of(),
            out,
            tmp.resolve("screen.err"));
    try {
      Await.until("the first frame", () -> read(out).contains("no uncommitted changes"));
      Files.writeString(worktree.resolve("new.txt"), "x\n");
      Await.until("a frame with the new file", () -> read(out).contains("A new.txt"));
      // Ctrl-C: the terminal sends SIGINT to its foreground job, robojail's JVM.
      ProcessHandle java =
          p.descendants()
              .filter(h -> h.info().command().orElse("").endsWith("/java"))
              .findFirst()
              .orElseThrow();
      new ProcessBuilder("kill", "-INT", Long.toString(java.pid())).start().waitFor();
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), read(out));
    } finally {
      p.destroyForcibly();
    }
    String screen = read(out);
    assertEquals(1, count(screen, "\u001b[2J"), "the screen is cleared once only:\n" + screen);
    assertTrue(count(screen, "\u001b[?2026h\u001b[H") >= 2, screen);
    assertTrue(screen.contains("\u001b[K"), screen);
    assertTrue(screen.contains("\u001b[J"), screen);
    assertTrue(
        screen.lastIndexOf("\u001b[?7h\u001b[?25h") > screen.lastIndexOf("A new.txt"),
        "autowrap and the cursor are back after Ctrl-C:\n" + screen);
  }

  @Test
  void aFrameTallerThanTheScreenIsCutSoThatHomeStaysTheTop() {
    java.io.StringWriter w = new java.io.StringWriter();
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      lines.add("line " + i);
    }
    StatusWatch.draw(new java.io.PrintWriter(w), "header", lines, 5);
    assertEquals(
        "\u001b[?2026h\u001b[Hheader\u001b[K\nline 0\u001b[K\nline 1\u001b[K\n"
            + "… 8 more lines\u001b[K\n\u001b[J\u001b[?2026l",
        w.toString());
  }

  private static List<String> blocks(String out) {
    List<String> blocks = new ArrayList<>();
    for (String b : out.split("--- every [^\n]*\n", -1)) {
      if (!b.isEmpty()) {
        blocks.add(b);
      }
    }
    return blocks;
  }

  private static int count(String s, String what) {
    int n = 0;
    for (int at = s.indexOf(what); at >= 0; at = s.indexOf(what, at + 1)) {
      n++;
    }
    return n;
  }

  private static String read(Path p) {
    try {
      return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
