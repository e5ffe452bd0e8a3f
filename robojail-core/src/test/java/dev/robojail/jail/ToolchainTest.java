package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.robojail.ffm.NeedsUserNamespaces;
import dev.robojail.sandbox.Sandbox;
import dev.robojail.sandbox.Stdio;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host's toolchains run in a jail with the default configuration exactly as they run outside:
 * each row runs what a developer runs, inside and, where the output can be compared, outside too,
 * with the same PATH and locale variables. A row skips only when its tool is not installed, and
 * fails then with {@code CI=true}, since .ci/run installs them all.
 */
@NeedsUserNamespaces
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ToolchainTest {
  private static final String JDK_25 = "/usr/lib/jvm/temurin-25-jdk-amd64";

  @TempDir static Path tmp;
  Path home;
  Jails jails;
  Path worktree;

  @BeforeAll
  void jail() throws IOException {
    // The namespace tests are re-run as nobody, who must be able to write here.
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
    home = Files.createDirectories(tmp.resolve("home"));
    TestRepo repo = TestRepo.init(tmp.resolve("repo"));
    repo.write("README", "tools\n").commit("initial");
    jails = Jails.open(TestWorld.in(tmp).dirs(), home);
    worktree = jails.create("tools", repo.dir).worktree();
  }

  @AfterAll
  void destroy() {
    if (jails != null) {
      jails.destroy("tools", true);
    }
  }

  /** What a script prints (stdout and stderr) and its exit status. */
  record Result(int status, String output) {}

  /** Runs a shell script in the jail's worktree. */
  Result inside(String script) throws IOException {
    Path out = Files.createTempFile(tmp, "out", ".txt");
    int status =
        jails.run(
            "tools",
            List.of("/bin/sh", "-c", script),
            false,
            b -> b.stdin(Stdio.discard()).stdout(Stdio.file(out)).redirectErrorStream(true));
    return new Result(status, Files.readString(out, StandardCharsets.UTF_8));
  }

  /** Runs a shell script on the host, in a copy of the environment a jail gets. */
  Result outside(String script) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("outside"));
    ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", script).directory(dir.toFile());
    pb.redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Map<String, String> env = pb.environment();
    env.clear();
    env.put("PATH", Sandbox.DEFAULT_PATH);
    env.put("HOME", Files.createDirectories(tmp.resolve("outside-home")).toString());
    for (String name : List.of("LANG", "LC_ALL")) {
      String value = System.getenv(name);
      if (value != null) {
        env.put(name, value);
      }
    }
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(5, TimeUnit.MINUTES), script);
    return new Result(p.exitValue(), output);
  }

  Result ok(Result r) {
    assertEquals(0, r.status(), r.output());
    return r;
  }

  void sameInsideAndOutside(String script) throws Exception {
    Result out = outside(script);
    assertEquals(0, out.status(), "outside: " + out.output());
    assertEquals(out, inside(script));
  }

  static void needs(String... programs) {
    List<String> missing = new ArrayList<>();
    for (String program : programs) {
      boolean found =
          program.startsWith("/")
              ? Files.isExecutable(Path.of(program))
              : List.of(Sandbox.DEFAULT_PATH.split(":")).stream()
                  .anyMatch(d -> Files.isExecutable(Path.of(d, program)));
      if (!found) {
        missing.add(program);
      }
    }
    String why = "not installed here: " + missing + " (.ci/run installs it)";
    // CI installs every tool: a missing one there is a broken .ci/run, not a reason to skip.
    assertTrue(missing.isEmpty() || !"true".equals(System.getenv("CI")), why);
    assumeTrue(missing.isEmpty(), why);
  }

  void write(String name, String content) throws IOException {
    Files.writeString(worktree.resolve(name), content);
    Files.writeString(Files.createDirectories(tmp.resolve("outside")).resolve(name), content);
  }

  @Test
  void distributionJavaRunsASingleFileProgramAndJavac() throws Exception {
    needs("java", "javac");
    write(
        "Hello.java",
        "class Hello { public static void main(String[] a) { System.out.println(\"hi \" + Runtime.version().feature()); } }\n");
    sameInsideAndOutside(
        "java Hello.java && javac -d classes Hello.java && java -cp classes Hello"
            + " && java -XshowSettings:properties -version 2>&1 | grep -E 'java.home|java.version '");
  }

  @Test
  void jdk25RunsASingleFileProgram() throws Exception {
    needs(JDK_25 + "/bin/java");
    write("Hello25.java", "void main() { IO.println(\"hi \" + Runtime.version().feature()); }\n");
    assertEquals(new Result(0, "hi 25\n"), inside(JDK_25 + "/bin/java Hello25.java"));
  }

  @Test
  void distributionMavenStarts() throws Exception {
    needs("mvn");
    sameInsideAndOutside("mvn -v");
  }

  @Test
  void gccAndMakeBuildAndRunAProgram() throws Exception {
    needs("gcc", "make");
    write(
        "hello.c",
        "#include <stdio.h>\nint main(void) { printf(\"hello from C\\n\"); return 0; }\n");
    write("Makefile", "hello: hello.c\n\tgcc -O2 -o $@ $<\n");
    assertEquals("hello from C\n", ok(inside("make -s && ./hello")).output());
  }

  @Test
  void python3MakesAVenvAndImportsSsl() throws Exception {
    needs("python3");
    String script =
        "python3 -m venv venv && venv/bin/python -c 'import ssl, sys;"
            + " print(ssl.OPENSSL_VERSION, sys.prefix != sys.base_prefix)' && venv/bin/pip --version"
            + " | cut -d' ' -f1-2";
    sameInsideAndOutside(script);
  }

  @Test
  void nodeAndNpmRun() throws Exception {
    needs("node", "npm");
    write("hello.js", "console.log('node', process.version, require('os').platform());\n");
    sameInsideAndOutside("npm --version && node hello.js");
  }

  @Test
  void perlRunsWithItsModules() throws Exception {
    needs("perl");
    sameInsideAndOutside(
        "perl -MPOSIX -MFile::Temp=tempfile -e 'print POSIX::floor(2.5), \" $^V\\n\"'");
  }

  @Test
  void gitSeesTheSystemConfigAsOutside() throws Exception {
    needs("git");
    // Also when there is no /etc/gitconfig: then both fail alike.
    Result out = outside("git config --system --list; echo status $?");
    assertEquals(out, inside("git config --system --list; echo status $?"));
  }

  @Test
  void curlSpeaksTlsToALocalServerWithItsOwnCa() throws Exception {
    needs("curl", "openssl");
    String script =
        String.join(
            "\n",
            "set -e",
            "d=$(mktemp -d)",
            "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=test-ca"
                + " -keyout $d/ca.key -out $d/ca.pem 2>/dev/null",
            "openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout $d/srv.key"
                + " -out $d/srv.csr 2>/dev/null",
            "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > $d/ext",
            "openssl x509 -req -in $d/srv.csr -CA $d/ca.pem -CAkey $d/ca.key -CAcreateserial"
                + " -days 1 -extfile $d/ext -out $d/srv.pem 2>/dev/null",
            "echo 'hello over tls' > $d/index.txt",
            // A port of its own, in case the jail shares the host's network.
            "port=$((20000 + $$ % 20000))",
            "cd $d && openssl s_server -quiet -accept 127.0.0.1:$port -cert srv.pem -key srv.key"
                + " -WWW >/dev/null 2>&1 & srv=$!",
            "for i in $(seq 50); do curl -sf --cacert $d/ca.pem https://127.0.0.1:$port/index.txt"
                + " && break; sleep 0.1; done",
            "! curl -sf https://127.0.0.1:$port/index.txt >/dev/null 2>&1 || echo trusted-without-ca",
            "kill $srv");
    assertEquals("hello over tls\n", ok(inside(script)).output());
  }

  @Test
  void theSystemCaBundleIsReadableInside() throws Exception {
    needs("openssl");
    String bundle = "/etc/ssl/certs/ca-certificates.crt";
    assumeTrue(
        Files.isReadable(Path.of(bundle)), "no " + bundle + " here (package ca-certificates)");
    sameInsideAndOutside(
        "sha256sum "
            + bundle
            + " && openssl x509 -in "
            + bundle
            + " -noout -subject | cut -c1-8"
            + " && curl --version >/dev/null && curl-config --ca 2>/dev/null; true");
  }

  @Test
  void localeAndTimeZoneAreTheHosts() throws Exception {
    needs("locale", "date");
    sameInsideAndOutside(
        "date +%Z; date -d @0 '+%c'; TZ=Europe/Berlin date -d @0 +%H:%M%Z; locale; locale -a;"
            + " LC_ALL=C.UTF-8 locale charmap; cat /etc/timezone 2>/dev/null; true");
  }
}
