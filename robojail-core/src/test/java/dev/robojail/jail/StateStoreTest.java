package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateStoreTest {
  @TempDir Path dir;

  private Path file() {
    return dir.resolve("state/jails.json");
  }

  @Test
  void emptyWhenNoFile() {
    StateStore store = new StateStore(file());
    assertEquals(List.of(), store.list());
    assertEquals(Optional.empty(), store.get(JailName.of("x")));
  }

  @Test
  void roundTripsEveryField() {
    StateStore store = new StateStore(file());
    JailState a = StateStoreWriter.jail("a");
    JailState b = StateStoreWriter.jail("b");
    store.put(b);
    store.put(a);
    assertEquals(List.of(a, b), new StateStore(file()).list());
    assertEquals(Optional.of(a), store.get(JailName.of("a")));
  }

  /**
   * A session is a record beside the state file, not part of it: adding one leaves the file as it
   * was (no rewrite, no sync), it counts while its process lives, and removing it leaves none.
   */
  @Test
  void aSessionIsARecordAndTheStateFileIsNotRewritten() throws IOException {
    StateStore store = new StateStore(file());
    JailState a = StateStoreWriter.jail("a");
    store.put(a);
    byte[] before = Files.readAllBytes(file());
    var modified = Files.getLastModifiedTime(file());
    Supervisor me = Supervisor.current();
    try (SessionRecords.Session s = store.startSession(a.name(), me, j -> {})) {
      assertEquals(List.of(me), store.get(a.name()).orElseThrow().liveSessions());
      assertTrue(Files.isRegularFile(s.file()));
      assertEquals(file().resolveSibling("sessions").resolve("a"), s.file().getParent());
    }
    assertEquals(List.of(), store.get(a.name()).orElseThrow().sessions());
    assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(file())));
    assertEquals(modified, Files.getLastModifiedTime(file()));
  }

  /**
   * Sessions that cannot be listed fail the read in one line, rather than count as none: a destroy
   * would otherwise go ahead under a running session.
   */
  @Test
  void sessionsThatCannotBeListedFailTheReadInsteadOfCountingAsNone() throws IOException {
    StateStore store = new StateStore(file());
    JailState a = StateStoreWriter.jail("a");
    store.put(a);
    Files.createDirectories(file().resolveSibling("sessions"));
    Files.writeString(file().resolveSibling("sessions").resolve("a"), "not a directory");
    StateException e = assertThrows(StateException.class, () -> store.get(a.name()));
    assertTrue(e.getMessage().startsWith("cannot read the sessions of jail a in "), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }

  /** An I/O error reading a record is not "no record": it fails, and nothing is deleted. */
  @Test
  void aRecordThatCannotBeReadFailsInsteadOfCountingAsNone() throws IOException {
    // ENAMETOOLONG stands for any error but a record gone since it was listed (as root, nothing
    // else is refused here).
    Path unreadable = dir.resolve("1-2-" + "3".repeat(300));
    assertThrows(IOException.class, () -> SessionRecords.parse(unreadable));
    assertEquals(Optional.empty(), SessionRecords.parse(dir.resolve("gone-since-listed")), "ended");
    Path garbage = Files.writeString(dir.resolve("1-2-3"), "garbage\n");
    assertEquals(Optional.empty(), SessionRecords.parse(garbage), "not a record");
  }

  /** What the check refuses adds no session; a jail that is not there has none to add. */
  @Test
  void aRefusedSessionLeavesNoRecord() {
    StateStore store = new StateStore(file());
    JailState a = StateStoreWriter.jail("a");
    store.put(a);
    assertThrows(
        JailConflictException.class,
        () ->
            store.startSession(
                a.name(),
                Supervisor.current(),
                j -> {
                  throw new JailConflictException("no");
                }));
    assertThrows(
        JailConflictException.class,
        () -> store.startSession(JailName.of("b"), Supervisor.current(), j -> {}));
    assertEquals(List.of(), store.get(a.name()).orElseThrow().sessions());
  }

  /**
   * A live session an older robojail kept in the state file still counts, and keeps counting once
   * this robojail rewrites the file without it; a dead one is dropped.
   */
  @Test
  void aLiveSessionInAnOlderStateFileIsAdopted() throws Exception {
    Supervisor me = Supervisor.current();
    Supervisor dead = new Supervisor(me.pid(), me.startTime() + 1, me.bootId());
    Files.createDirectories(file().getParent());
    JailState a = StateStoreWriter.jail("a");
    String text =
        new String(StateCodec.encode(java.util.Map.of(a.name(), a)), StandardCharsets.UTF_8);
    String withSessions =
        text.replace(
            "\"phase\"", "\"sessions\" : [ " + json(me) + ", " + json(dead) + " ],\n    \"phase\"");
    Files.writeString(file(), withSessions);
    StateStore store = new StateStore(file());
    assertEquals(List.of(me), store.get(a.name()).orElseThrow().liveSessions());
    store.put(StateStoreWriter.jail("b"));
    assertFalse(Files.readString(file()).contains("sessions"), "rewritten without them");
    assertEquals(List.of(me), store.get(a.name()).orElseThrow().sessions());
  }

  private static String json(Supervisor s) {
    return "{\"pid\": %d, \"startTime\": %d, \"bootId\": \"%s\"}"
        .formatted(s.pid(), s.startTime(), s.bootId());
  }

  @Test
  void putIfAbsentAndRemove() {
    StateStore store = new StateStore(file());
    JailState a = StateStoreWriter.jail("a");
    assertTrue(store.putIfAbsent(a));
    assertFalse(store.putIfAbsent(a.withSessions(List.of(new Supervisor(1, 2, "x")))));
    assertEquals(Optional.of(a), store.get(a.name()));
    assertEquals(Optional.of(a), store.remove(a.name()));
    assertEquals(Optional.empty(), store.remove(a.name()));
    assertEquals(List.of(), store.list());
  }

  @Test
  void fileIsPrivateAndNoTempFilesRemain() throws IOException {
    StateStore store = new StateStore(file());
    store.put(StateStoreWriter.jail("a"));
    assertEquals(
        "rw-------",
        java.nio.file.attribute.PosixFilePermissions.toString(
            Files.getPosixFilePermissions(file())));
    try (Stream<Path> files = Files.list(file().getParent())) {
      assertEquals(
          List.of("jails.json", "jails.json.lock"),
          files.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }

  @Test
  void corruptFileIsKeptAndReportedInOneLine() throws IOException {
    Files.createDirectories(file().getParent());
    Files.writeString(file(), "{\"version\": 1, \"jails\": {\"a\": [1, 2");
    StateStore store = new StateStore(file());
    StateException e = assertThrows(StateException.class, store::list);
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    assertTrue(e.getMessage().contains(file().toString()), e.getMessage());
    assertTrue(e.getMessage().contains("is corrupt"), e.getMessage());
    try (Stream<Path> files = Files.list(file().getParent())) {
      List<Path> backups =
          files.filter(p -> p.getFileName().toString().startsWith("jails.json.corrupt-")).toList();
      assertEquals(1, backups.size());
      assertTrue(
          e.getMessage().contains("a copy was kept at " + backups.getFirst()), e.getMessage());
      assertEquals(Files.readString(file()), Files.readString(backups.getFirst()));
    }
    // A corrupt file is never overwritten.
    assertThrows(StateException.class, () -> store.put(StateStoreWriter.jail("b")));
    assertTrue(Files.readString(file()).endsWith("[1, 2"));
  }

  @Test
  void semanticallyInvalidFileIsCorrupt() throws IOException {
    Files.createDirectories(file().getParent());
    Files.writeString(file(), "{\"version\": 1, \"jails\": {\"bad name\": {}}}");
    StateException e = assertThrows(StateException.class, () -> new StateStore(file()).list());
    assertTrue(e.getMessage().contains("jail name \"bad name\""), e.getMessage());
    Files.writeString(file(), "{\"version\": 1, \"jails\": {\"a\": {\"repo\": \"/r\"}}}");
    e = assertThrows(StateException.class, () -> new StateStore(file()).list());
    assertTrue(e.getMessage().contains("jail \"a\" has no \"branch\""), e.getMessage());
  }

  @Test
  void aBaseCommitThatIsNoObjectIdIsCorruptAndNeverReachesGit() throws IOException {
    // The base commit is passed to git on the host (diff, rev-list): an option planted in the
    // state file ("--output=FILE" writes a file) must be refused before any git runs.
    StateStore store = new StateStore(file());
    store.put(StateStoreWriter.jail("a"));
    Files.writeString(
        file(),
        Files.readString(file())
            .replace("0123456789abcdef0123456789abcdef01234567", "--output=/tmp/robojail-pwned"));
    StateException e = assertThrows(StateException.class, store::list);
    assertTrue(e.getMessage().contains("jail \"a\" has an invalid \"baseCommit\""), e.getMessage());
  }

  @Test
  void unknownFieldsFromANewerVersionAreIgnored() throws IOException {
    StateStore store = new StateStore(file());
    store.put(StateStoreWriter.jail("a"));
    Files.writeString(
        file(), Files.readString(file()).replace("\"branch\"", "\"future\": 1, \"branch\""));
    assertEquals(List.of(StateStoreWriter.jail("a")), store.list());
  }

  @Test
  void concurrentThreadsLoseNothing() throws Exception {
    int threads = 8;
    int each = 25;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        String prefix = "t" + t;
        futures.add(
            pool.submit(
                () ->
                    StateStoreWriter.main(
                        new String[] {file().toString(), prefix, Integer.toString(each)})));
      }
      for (Future<?> f : futures) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(threads * each, new StateStore(file()).list().size());
  }

  @Test
  void concurrentProcessesLoseNothing() throws Exception {
    int processes = 4;
    int each = 25;
    String java = ProcessHandle.current().info().command().orElse("java");
    List<Process> started = new ArrayList<>();
    for (int p = 0; p < processes; p++) {
      started.add(
          new ProcessBuilder(
                  java,
                  "-cp",
                  System.getProperty("java.class.path"),
                  "-XX:TieredStopAtLevel=1",
                  StateStoreWriter.class.getName(),
                  file().toString(),
                  "p" + p,
                  Integer.toString(each))
              .redirectErrorStream(true)
              .start());
    }
    // Threads of this JVM write at the same time, so both kinds of lock are exercised together.
    StateStoreWriter.main(new String[] {file().toString(), "main", Integer.toString(each)});
    for (Process p : started) {
      String output = new String(p.getInputStream().readAllBytes());
      assertTrue(p.waitFor(120, TimeUnit.SECONDS));
      assertEquals(0, p.exitValue(), output);
    }
    assertEquals((processes + 1) * each, new StateStore(file()).list().size());
  }
}
