package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.net.ProxyEnvironment;
import dev.robojail.sandbox.Stdio;
import dev.robojail.testkit.TestRepo;
import dev.robojail.testkit.TestWorld;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a jail in {@code proxy} mode (the default) gives its clients to find the proxy, as its
 * commands see it: the variables and the files they name, read by the real {@code java} launcher.
 * That each client then goes through the proxy is {@code ProxyClientsTest}'s and {@code
 * NetworkTest}'s.
 */
@NeedsUserNamespaces
class JailProxyEnvironmentTest {
  @TempDir Path tmp;

  @Test
  void theVariablesAndTheFilesTheyNameAreInTheJailAndJavaReadsItsArgumentFile() throws Exception {
    TestWorld world = TestWorld.in(tmp);
    TestRepo repo = world.repo("repo");
    Jails jails = world.jails();
    jails.create(CreateOptions.builder("p", repo.dir).build());
    Path out = Files.createTempFile(tmp, "out", ".txt");
    String script =
        "echo \"$HTTPS_PROXY $https_proxy $ALL_PROXY $NO_PROXY $MAVEN_ARGS\";"
            + " cat "
            + ProxyEnvironment.MAVEN_SETTINGS
            + " "
            + ProxyEnvironment.JAVA_ARGS
            + "; java @"
            + ProxyEnvironment.JAVA_ARGS
            + " -XshowSettings:properties -version 2>&1 | grep -i proxy";
    int status =
        jails.run(
            "p",
            List.of("/bin/sh", "-c", script),
            false,
            b -> b.stdin(Stdio.discard()).stdout(Stdio.file(out)).redirectErrorStream(true));
    String text = Files.readString(out);
    assertEquals(0, status, text);
    var env = ProxyEnvironment.variables();
    String expected =
        String.join(
                " ",
                env.get("HTTPS_PROXY"),
                env.get("https_proxy"),
                env.get("ALL_PROXY"),
                env.get("NO_PROXY"),
                env.get("MAVEN_ARGS"))
            + "\n"
            + ProxyEnvironment.mavenSettingsText()
            + ProxyEnvironment.javaArgsText();
    assertTrue(text.startsWith(expected), text);
    // what java made of the file: its properties, and no "Picked up" note
    assertEquals(
        List.of(
            "http.nonProxyHosts = localhost|127.*|[::1]|host.robojail.internal",
            "http.proxyHost = 127.0.0.1",
            "http.proxyPort = 3128",
            "https.proxyHost = 127.0.0.1",
            "https.proxyPort = 3128"),
        text.substring(expected.length()).lines().map(String::strip).sorted().toList(),
        text);
  }
}
