package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.Landlock;
import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.sandbox.HostReport.Check;
import dev.robojail.sandbox.HostReport.Status;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Each line of the report comes from what was observed; only the kernel's version is no check. */
class HostReportTest {
  @Test
  void landlockIsOkWithAnAbiAndAWarningWithout() {
    assertEquals(
        new Check(
            "landlock",
            Status.OK,
            "ABI 7: writes confined to the writable mounts; abstract UNIX sockets and signals"
                + " scoped to the jail"),
        HostReport.landlock(7));
    assertTrue(
        HostReport.landlock(5).detail().endsWith("only a network namespace keeps the host's out"),
        HostReport.landlock(5).detail());
    Check none = HostReport.landlock(0);
    assertEquals(Status.WARN, none.status());
    assertTrue(none.detail().endsWith("mount table only"), none.detail());
  }

  @Test
  void theAppArmorSwitchFailsOnlyWhenItIsOnAndSandboxesDidNotStart() {
    String on = "kernel.apparmor_restrict_unprivileged_userns = 1";
    assertEquals(
        new Check("apparmor userns", Status.OK, "kernel.apparmor_restrict_unprivileged_userns = 0"),
        HostReport.apparmor("0", false));
    assertEquals(
        new Check("apparmor userns", Status.OK, on + ", and sandboxes start: robojail is allowed"),
        HostReport.apparmor("1", true));
    Check refused = HostReport.apparmor("1", false);
    assertEquals(Status.FAIL, refused.status());
    assertTrue(refused.detail().startsWith(on + ": it keeps unprivileged users"), refused.detail());
    assertTrue(refused.detail().contains("set it to 0"), refused.detail());
  }

  @Test
  @NeedsUserNamespaces
  void onThisMachineTheLayersAreThereAndLandlockIsReportedAsTheKernelHasIt() throws Exception {
    Map<String, Check> checks =
        HostReport.checks().stream().collect(Collectors.toMap(Check::name, c -> c));
    assertEquals(Status.INFO, checks.get("kernel").status());
    for (String layer :
        List.of("setup runner", "namespaces", "no_new_privs", "seccomp filter", "capabilities")) {
      assertEquals(Status.OK, checks.get(layer).status(), layer + ": " + checks.get(layer));
    }
    assertEquals(HostReport.landlock(Landlock.abi()), checks.get("landlock"));
  }
}
