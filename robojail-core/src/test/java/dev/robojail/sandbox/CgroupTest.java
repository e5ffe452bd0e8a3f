package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where a sandbox's cgroup goes, on made-up cgroup trees of each kind. */
class CgroupTest {
  @TempDir Path root;

  private Path cgroup(Path dir, String subtreeControl) throws Exception {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("cgroup.procs"), "");
    Files.writeString(dir.resolve("cgroup.subtree_control"), subtreeControl + "\n");
    return dir;
  }

  @Test
  void withV2ItGoesBesideTheJvmsCgroupWhenTheParentDelegatesBothControllers() throws Exception {
    Path v2 = root.resolve("v2");
    Path app = cgroup(v2.resolve("user.slice/user@1000.service/app.slice"), "cpu memory pids");
    cgroup(app.resolve("term.scope"), "");
    String self = "0::/user.slice/user@1000.service/app.slice/term.scope\n";
    Optional<Cgroup.Place> place = Cgroup.find(self, Map.of("cgroup2", v2));
    assertEquals(Optional.of(new Cgroup.Place("v2", Map.of("pids", app, "memory", app))), place);
    // a parent that does not pass memory on to its children is no place
    Files.writeString(app.resolve("cgroup.subtree_control"), "pids\n");
    assertEquals(Optional.empty(), Cgroup.find(self, Map.of("cgroup2", v2)));
  }

  @Test
  void withV2AtTheRootTheRootItselfIsTheParent() throws Exception {
    Path v2 = cgroup(root.resolve("v2"), "memory pids");
    assertEquals(
        Optional.of(new Cgroup.Place("v2", Map.of("pids", v2, "memory", v2))),
        Cgroup.find("0::/\n", Map.of("cgroup2", v2)));
  }

  @Test
  void withV1EachControllerIsBelowTheJvmsOwnCgroupOfIt() throws Exception {
    Path pids = cgroup(root.resolve("pids"), "");
    Path memory = cgroup(root.resolve("memory/process_api/abc"), "");
    String self = "8:pids:/\n4:memory:/process_api/abc\n0::/\n";
    Map<String, Path> mounts =
        Map.of("pids", pids, "memory", root.resolve("memory"), "cgroup2", root.resolve("none"));
    Optional<Cgroup.Place> place = Cgroup.find(self, mounts);
    assertEquals(
        Optional.of(new Cgroup.Place("v1", Map.of("pids", pids, "memory", memory))), place);
    assertTrue(Cgroup.describe(place).startsWith("cgroup v1 (memory, pids) under"));
    assertEquals(Optional.empty(), Cgroup.find("0::/\n", Map.of()));
  }
}
