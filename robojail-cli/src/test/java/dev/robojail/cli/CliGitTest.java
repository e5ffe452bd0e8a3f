package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.robojail.jail.Dirs;
import dev.robojail.jail.JailName;
import dev.robojail.jail.Jails;
import dev.robojail.sandbox.Sandbox;
import dev.robojail.sandbox.SandboxException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code robojail merge}, and git inside a jail, end to end. */
@Tag("namespace")
class CliGitTest {
  @TempDir Path tmp;
  Path home;
  Path repo;
  Dirs dirs;

  @BeforeEach
  void setUp() throws Exception {
    try {
      Sandbox.builder().minimalSystem().command("/bin/true").start().waitFor();
    } catch (SandboxException.NamespacesUnavailable e) {
      assumeTrue(false, e.getMessage());
    }
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
    home = Files.createDirectories(tmp.resolve("home"));
    dirs =
        Dirs.resolve(
            Map.of(
                "XDG_STATE_HOME", tmp.resolve("xdg/state").toString(),
                "XDG_CONFIG_HOME", tmp.resolve("xdg/config").toString(),
                "XDG_DATA_HOME", tmp.resolve("xdg/data").toString()),
            home);
    repo = Files.createDirectories(tmp.resolve("repo"));
    CliTest.git(repo, "init", "-q", "-b", "main");
    Files.writeString(repo.resolve("README"), "hello\n");
    CliTest.git(repo, "add", ".");
    CliTest.git(repo, "-c", "user.name=T", "-c", "user.email=t@t", "commit", "-q", "-m", "initial");
    assertEquals(0, robojail("create", "--name", "g", "--repo", repo.toString()).code());
  }

  CliTest.Result robojail(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Robojail.commandLine(() -> Jails.open(dirs, home));
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new CliTest.Result(code, out.toString(), err.toString());
  }

  @Test
  void aCommitMadeInsideIsShownThenMerged() throws Exception {
    CliTest.Result run =
        robojail(
            "run",
            "g",
            "--",
            "sh",
            "-c",
            "echo feature > feature.txt && git add feature.txt && git commit -q -m 'add feature'");
    assertEquals(0, run.code(), run.err());

    CliTest.Result status = robojail("status", "g");
    assertTrue(status.out().contains("1 commits since base"), status.out());

    CliTest.Result noTerminal = robojail("merge", "g");
    assertEquals(2, noTerminal.code());
    assertTrue(noTerminal.err().contains("add --yes"), noTerminal.err());
    assertTrue(noTerminal.out().contains("add feature"), noTerminal.out());
    assertFalse(Files.exists(repo.resolve("feature.txt")));

    Files.writeString(repo.resolve("README"), "dirty\n");
    CliTest.Result dirty = robojail("merge", "g", "--yes");
    assertEquals(3, dirty.code());
    assertTrue(dirty.err().contains("uncommitted changes"), dirty.err());
    CliTest.git(repo, "checkout", "--", "README");

    CliTest.Result merged = robojail("merge", "g", "--yes");
    assertEquals(0, merged.code(), merged.err());
    assertTrue(merged.out().contains("merging 1 commit of robojail/g-"), merged.out());
    assertTrue(merged.out().contains("feature.txt | 1 +"), merged.out());
    assertTrue(merged.out().contains("merged into main"), merged.out());
    assertEquals("feature\n", Files.readString(repo.resolve("feature.txt")));

    CliTest.Result again = robojail("merge", "g", "--yes");
    assertTrue(again.out().startsWith("nothing to merge"), again.out());

    CliTest.Result destroyed = robojail("destroy", "g");
    assertEquals(0, destroyed.code(), destroyed.err());
    assertFalse(destroyed.out().contains("kept branch"), destroyed.out());
    assertFalse(Files.exists(dirs.jailDir(JailName.of("g"))));
  }
}
