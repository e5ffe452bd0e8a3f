package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.robojail.ffm.Errno;
import org.junit.jupiter.api.Test;

/**
 * What a failed clone3 of a child born in its cgroup is taken for: the sandbox's own limit is told
 * as such and never retried by a move that would pass over it.
 */
class SpawnerCloneRefusalTest {
  @Test
  void aFullCgroupIsTheSandboxsOwnLimitWithEitherVersion() {
    for (String version : new String[] {"v1", "v2"}) {
      for (int errno : new int[] {Errno.EAGAIN, Errno.ENOMEM, Errno.ENOBUFS}) {
        assertEquals(
            Spawner.CloneRefusal.CGROUP,
            Spawner.cloneRefusal(version, errno),
            version + " " + Errno.name(errno));
      }
    }
  }

  @Test
  void onlyE2bigAndEinvalWithV2AreTheKernelRefusingTheFlag() {
    assertEquals(Spawner.CloneRefusal.INTO_CGROUP, Spawner.cloneRefusal("v2", Errno.E2BIG));
    assertEquals(Spawner.CloneRefusal.INTO_CGROUP, Spawner.cloneRefusal("v2", Errno.EINVAL));
    // v1 has no such flag: its EINVAL is the clone's own
    assertEquals(Spawner.CloneRefusal.OTHER, Spawner.cloneRefusal("v1", Errno.EINVAL));
    // a namespace refused, made before the cgroup's check
    assertEquals(Spawner.CloneRefusal.OTHER, Spawner.cloneRefusal("v2", Errno.ENOSPC));
    assertEquals(Spawner.CloneRefusal.OTHER, Spawner.cloneRefusal("v2", Errno.EPERM));
  }
}
