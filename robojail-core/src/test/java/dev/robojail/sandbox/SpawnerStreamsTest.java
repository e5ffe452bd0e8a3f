package dev.robojail.sandbox;

import static dev.robojail.ffm.FakeKernel.errno;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.robojail.ffm.Errno;
import dev.robojail.ffm.FakeKernel;
import dev.robojail.ffm.SyscallException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which descriptors each kind of standard stream gets, against a recording fake kernel. */
class SpawnerStreamsTest {
  private final FakeKernel kernel = new FakeKernel();
  private final List<Integer> parent = new ArrayList<>();
  private final List<Integer> child = new ArrayList<>();

  @Test
  void aPipeGivesTheParentTheWriteEndOfStdinAndTheReadEndOfOutput() {
    kernel.on("pipe2", new int[] {10, 11}, new int[] {12, 13});
    assertArrayEquals(new int[] {11, 10}, Spawner.stream(kernel, Stdio.pipe(), 0, parent, child));
    assertArrayEquals(new int[] {12, 13}, Spawner.stream(kernel, Stdio.pipe(), 1, parent, child));
    assertEquals(List.of(11, 12), parent);
    assertEquals(List.of(10, 13), child);
    assertEquals(List.of("pipe2(O_RDONLY|O_CLOEXEC)", "pipe2(O_RDONLY|O_CLOEXEC)"), kernel.calls());
  }

  @Test
  void aCallersDescriptorIsPassedButNotClosed() {
    assertArrayEquals(
        new int[] {-1, 5}, Spawner.stream(kernel, Stdio.descriptor(5), 1, parent, child));
    assertEquals(List.of(), parent);
    assertEquals(List.of(), child, "the caller keeps and closes it");
    assertEquals(List.of(), kernel.calls());
  }

  @Test
  void inheritOpensNothing() {
    assertArrayEquals(
        new int[] {-1, -1}, Spawner.stream(kernel, Stdio.inherit(), 2, parent, child));
    assertEquals(List.of(), kernel.calls());
  }

  @Test
  void discardAndFilesAreOpenedCloseOnExec() {
    kernel.on("openat", 20, 21, 22);
    Spawner.stream(kernel, Stdio.discard(), 2, parent, child);
    Spawner.stream(kernel, Stdio.file(Path.of("/in")), 0, parent, child);
    Spawner.stream(kernel, Stdio.appendTo(Path.of("/log")), 1, parent, child);
    assertEquals(
        List.of(
            "openat(-100, \"/dev/null\", O_RDWR|O_CLOEXEC, 00)",
            "openat(-100, \"/in\", O_RDONLY|O_CLOEXEC, 0644)",
            "openat(-100, \"/log\", O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC, 0644)"),
        kernel.calls());
    assertEquals(List.of(20, 21, 22), child);
    assertEquals(List.of(), parent);
  }

  @Test
  void closeAllClosesEveryDescriptorIgnoresEbadfAndThenThrowsAnythingElse() {
    SyscallException eio = errno("close(2)", Errno.EIO);
    kernel.on("close", errno("close(1)", Errno.EBADF), eio, 0);
    List<Integer> fds = new ArrayList<>(List.of(1, 2, 3));
    assertEquals(eio, assertThrows(SyscallException.class, () -> Spawner.closeAll(kernel, fds)));
    assertEquals(List.of("close(1)", "close(2)", "close(3)"), kernel.calls());
    assertEquals(List.of(), fds);
    kernel.on("close", errno("close(4)", Errno.EBADF));
    Spawner.closeAll(kernel, new ArrayList<>(List.of(4)));
  }
}
