package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.robojail.testkit.TestRepo;
import dev.robojail.testkit.TestWorld;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full file system under the state directory, for real: a 1 MiB tmpfs mounted over it in a user
 * and mount namespace of the test's own. A destroy that could not record its result must not start:
 * the jail keeps its entry and every file.
 */
@Tag("namespace")
class CliDiskFullTest {
  @TempDir Path tmp;

  @Test
  void destroyOnAFullStateDirectoryRefusesBeforeDeletingAnything() throws Exception {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
    MainProcess robojail = new MainProcess(TestWorld.in(tmp));
    Path repo = Files.createDirectories(tmp.resolve("repo"));
    TestRepo.run(repo, "init", "-q");
    Files.writeString(repo.resolve("README"), "hello\n");
    TestRepo.run(repo, "add", ".");
    TestRepo.run(repo, "-c", "user.name=T", "-c", "user.email=t@t", "commit", "-q", "-m", "i");
    Path state = Files.createDirectories(tmp.resolve("xdg/state"));
    Path worktree = tmp.resolve("xdg/data/robojail/jails/full");

    String script =
        "mount -t tmpfs -o size=1m tmpfs \"$STATE\" || exit 99\n"
            + "\"$@\" create --name full --repo \"$REPO\" || exit 98\n"
            + "dd if=/dev/zero of=\"$STATE/filler\" bs=4k 2>/dev/null\n"
            + "\"$@\" destroy full; echo \"destroy exit $?\"\n"
            + "test -f \"$WORKTREE/README\" && echo 'worktree kept'\n"
            + "\"$@\" list\n";
    List<String> command =
        new ArrayList<>(List.of("unshare", "-Urm", "--propagation", "private", "sh", "-c", script));
    command.add("sh");
    Map<String, String> env =
        Map.of("STATE", state.toString(), "REPO", repo.toString(), "WORKTREE", "" + worktree);
    command.addAll(robojail.javaCommand(env));
    Path out = tmp.resolve("out.txt");
    Path err = tmp.resolve("err.txt");
    Process p = robojail.start(command, env, out, err);
    assertTrue(p.waitFor(2, TimeUnit.MINUTES));
    String o = Files.readString(out);
    String e = Files.readString(err);
    assumeTrue(p.exitValue() != 99, "cannot mount a tmpfs in a user namespace here: " + e);
    assertEquals(0, p.exitValue(), o + e);
    assertTrue(o.contains("destroy exit 3"), o + e);
    assertTrue(e.contains("no space left for the state file in " + state), e);
    assertTrue(o.contains("worktree kept"), o);
    assertTrue(o.lines().anyMatch(l -> l.startsWith("full ") && l.contains("stopped")), o);
  }
}
