package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.SetupProgram.Step;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The plan covers proc's write surfaces and leaks right after mounting it, before the pivot. */
class ProcPlanTest {
  private static final HostFacts HOST = new HostFacts(Long.MAX_VALUE, Long.MAX_VALUE, 7, 40, -1);

  private static List<String> calls() {
    return Sandbox.builder().proc("/proc").command("/bin/true").build().plan(HOST).steps().stream()
        .map(Step::toString)
        .toList();
  }

  private static int index(List<String> calls, String call) {
    int i = calls.indexOf(call);
    assertTrue(i >= 0, () -> call + " not in\n" + String.join("\n", calls));
    return i;
  }

  @Test
  void eachWriteSurfaceIsBoundOverItselfThenMadeReadOnlyBeforeThePivot() {
    List<String> c = calls();
    int proc =
        index(
            c, "mount(\"proc\", \"/newroot/proc\", \"proc\", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL)");
    int pivot = index(c, "pivot_root(\".\", \".\")");
    for (String name : SetupPlan.PROC_READ_ONLY) {
      String path = "\"/newroot/proc/" + name + "\"";
      int bind = index(c, "mount(" + path + ", " + path + ", NULL, MS_BIND, NULL) [ok: ENOENT]");
      int ro =
          index(
              c,
              "mount_setattr(AT_FDCWD, "
                  + path
                  + ", 0, {attr_set=MOUNT_ATTR_RDONLY|MOUNT_ATTR_NOSUID|MOUNT_ATTR_NODEV"
                  + "|MOUNT_ATTR_NOEXEC}, 32) [ok: ENOENT]");
      assertTrue(proc < bind && bind < ro && ro < pivot, name);
    }
    assertEquals(List.of("sys", "sysrq-trigger", "irq", "bus", "fs"), SetupPlan.PROC_READ_ONLY);
  }

  @Test
  void leaksAreCoveredWithDevNullOrAnEmptyReadOnlyTmpfs() {
    List<String> c = calls();
    for (String name : List.of("kcore", "keys", "timer_list", "sched_debug", "kallsyms")) {
      index(
          c,
          "mount(\"/oldroot/dev/null\", \"/newroot/proc/"
              + name
              + "\", NULL, MS_BIND, NULL) [ok: ENOENT]");
    }
    for (String name : SetupPlan.PROC_MASKED_DIRS) {
      index(
          c,
          "mount(\"tmpfs\", \"/newroot/proc/"
              + name
              + "\", \"tmpfs\", MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC, \"mode=0555\") [ok: ENOENT]");
    }
  }

  @Test
  void theSandboxGetsHalfOfTheUsersSharedLimitsAndNoNestedUserNamespaceUnlessAllowed() {
    HostFacts host =
        new HostFacts(
            Long.MAX_VALUE,
            Long.MAX_VALUE,
            7,
            40,
            -1,
            java.util.Map.of(
                "max_inotify_instances",
                128L,
                "max_user_namespaces",
                63_000L,
                "max_fanotify_marks",
                1L));
    for (boolean nested : List.of(false, true)) {
      List<String> c =
          Sandbox.builder()
              .proc("/proc")
              .allowUserNamespaces(nested)
              .command("/bin/true")
              .build()
              .plan(host)
              .steps()
              .stream()
              .map(Step::toString)
              .toList();
      int proc =
          index(
              c,
              "mount(\"proc\", \"/newroot/proc\", \"proc\", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL)");
      int readOnly =
          index(
              c,
              "mount(\"/newroot/proc/sys\", \"/newroot/proc/sys\", NULL, MS_BIND, NULL) [ok: ENOENT]");
      for (var limit :
          java.util.Map.of(
                  "max_inotify_instances",
                  "64",
                  "max_fanotify_marks",
                  "1",
                  "max_user_namespaces",
                  nested ? "31500" : "0")
              .entrySet()) {
        String open =
            "openat(AT_FDCWD, \"/newroot/proc/sys/user/"
                + limit.getKey()
                + "\", O_WRONLY|O_CLOEXEC)";
        int o = c.stream().filter(l -> l.endsWith(open)).findFirst().map(c::indexOf).orElse(-1);
        assertTrue(proc < o && o < readOnly, open + " in\n" + String.join("\n", c));
        assertTrue(
            c.get(o + 1).contains("\"" + limit.getValue() + "\\n\""),
            c.get(o + 1) + " for " + open);
      }
      assertEquals(
          3,
          c.stream().filter(l -> l.contains("/proc/sys/user/")).count(),
          "only what the host has");
    }
    // Without the host's limits, none to halve; but nested user namespaces are still refused,
    // for which no value of the host's is needed.
    List<String> none = calls();
    List<String> user = none.stream().filter(l -> l.contains("/proc/sys/user/")).toList();
    assertEquals(1, user.size(), "only max_user_namespaces: " + user);
    assertTrue(
        user.get(0)
            .endsWith(
                "openat(AT_FDCWD, \"/newroot/proc/sys/user/max_user_namespaces\","
                    + " O_WRONLY|O_CLOEXEC)"),
        user.get(0));
    assertTrue(none.get(none.indexOf(user.get(0)) + 1).contains("\"0\\n\""), none.toString());
  }
}
