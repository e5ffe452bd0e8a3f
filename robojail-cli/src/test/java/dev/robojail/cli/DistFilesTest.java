package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.Programs;
import dev.robojail.testkit.TestWorld;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The man pages and completion files of the distribution, read by the real programs that will read
 * them: groff renders each page without a warning, and each shell parses its completion file, which
 * is exactly what {@code robojail completion SHELL} prints ({@link CompletionTest} drives the
 * scripts).
 */
class DistFilesTest {
  @TempDir Path share;

  private Path write() throws IOException {
    DistFiles.write(share, DistFiles.model());
    return share;
  }

  @Test
  void everyCommandHasAManPageThatGroffRendersWithoutWarnings() throws Exception {
    Programs.require("/usr/bin/groff", "groff-base");
    write();
    Set<String> pages = new TreeSet<>();
    try (var files = Files.list(share.resolve("man/man1"))) {
      files.forEach(f -> pages.add(f.getFileName().toString()));
    }
    Set<String> expected = new TreeSet<>(Set.of("robojail.1"));
    Robojail.SUBCOMMANDS.keySet().forEach(n -> expected.add("robojail-" + n + ".1"));
    assertEquals(expected, pages);
    for (String page : pages) {
      Result r = run(List.of("groff", "-man", "-Tutf8", "-ww", share.resolve("man/man1/" + page)));
      assertEquals(0, r.code(), page + ": " + r.err());
      assertEquals("", r.err(), page + " has groff warnings");
      assertTrue(r.out().replaceAll(".\b", "").contains("SYNOPSIS"), page + ":\n" + r.out());
    }
    String status =
        run(List.of("groff", "-man", "-Tascii", share.resolve("man/man1/robojail-status.1"))).out();
    // Bold and hyphens come back as overstrikes and plain '-'; strip the former.
    String plain = status.replaceAll(".\b", "");
    assertTrue(plain.contains("--json"), plain);
    assertTrue(plain.contains("robojail status"), plain);
  }

  /**
   * Each page, as man(1) shows it, names the options {@code --help} names, and starts with a NAME
   * line of one sentence (what whatis and apropos show).
   */
  @Test
  void manShowsEachPageWithTheOptionsOfItsHelp() throws Exception {
    Programs.require("/usr/bin/man", "man-db");
    write();
    TestWorld world = TestWorld.in(Files.createDirectories(share.resolve("world")));
    List<String> commands = new ArrayList<>(Robojail.SUBCOMMANDS.keySet());
    commands.add(0, null);
    for (String command : commands) {
      String page = command == null ? "robojail.1" : "robojail-" + command + ".1";
      Result shown =
          run(List.of("env", "MANWIDTH=200", "man", "-l", share.resolve("man/man1/" + page)));
      assertEquals(0, shown.code(), page + ": " + shown.err());
      assertEquals("", shown.err(), page);
      String text = shown.out().replaceAll(".\b", "");
      String name = text.substring(text.indexOf("NAME\n") + 5, text.indexOf("\nSYNOPSIS"));
      assertEquals(1, name.strip().lines().count(), page + " NAME:\n" + name);
      Result help =
          command == null
              ? InProcess.run(world, "--help")
              : InProcess.run(world, command, "--help");
      assertTrue(manOptions(text).contains("--help"), page + ":\n" + text);
      assertEquals(optionNames(help.out()), manOptions(text), page);
    }
  }

  // picocli's option lines: "  -f, --force   …" or "      --json   …"
  private static Set<String> optionNames(String help) {
    Set<String> names = new TreeSet<>();
    help.lines()
        .filter(l -> l.matches(" {2}(-\\w, |    )--?[\\w-]+.*"))
        .forEach(l -> names.addAll(optionWords(l.strip())));
    return names;
  }

  private static Set<String> manOptions(String page) {
    int from = page.indexOf("\nOPTIONS\n");
    if (from < 0) {
      return Set.of();
    }
    Set<String> names = new TreeSet<>();
    String section = page.substring(from + 9);
    for (String l : section.lines().toList()) {
      if (!l.isEmpty() && !l.startsWith(" ")) {
        break; // the next section
      }
      if (l.matches(" {7}--?[\\w-].*")) {
        names.addAll(optionWords(l.strip()));
      }
    }
    return names;
  }

  private static List<String> optionWords(String line) {
    List<String> names = new ArrayList<>();
    for (String word : line.split("[ ,=]+")) {
      if (!word.matches("--?[\\w-]+")) {
        break;
      }
      names.add(word);
    }
    return names;
  }

  @Command(
      name = "sample",
      description = "A sample.",
      exitCodeListHeading = "Exit codes:%n",
      exitCodeList = {"0:done", "125:robojail's own failure"},
      footerHeading = "Examples:%n",
      footer = {"  robojail sample --flag", ".so /etc/passwd"})
  static final class Sample {
    @picocli.CommandLine.Option(names = "--flag", description = "A flag.")
    boolean flag;
  }

  @Test
  void exitCodesAndTheFooterBecomeSectionsOfTheirOwn() throws Exception {
    Programs.require("/usr/bin/groff", "groff-base");
    String page = DistFiles.manPage(new CommandLine(new Sample()), List.of("sample"));
    assertTrue(
        page.contains(".SH EXIT STATUS\n.TP\n.B 0\ndone\n.TP\n.B 125\nrobojail's own failure\n"),
        page);
    assertTrue(page.contains(".SH EXAMPLES\n.nf\n  robojail sample \\-\\-flag\n\\&.so"), page);
    Path file = share.resolve("robojail-sample.1");
    Files.writeString(file, page);
    Result r = run(List.of("groff", "-man", "-Tascii", "-ww", file));
    assertEquals("", r.err());
    assertTrue(r.out().replaceAll(".\b", "").contains("robojail sample --flag"), r.out());
  }

  @Test
  void roffEscapesWhatRoffWouldReadAsARequestOrAnEscape() {
    assertEquals("\\&.so /etc/passwd", DistFiles.roff(".so /etc/passwd"));
    assertEquals("\\&'br", DistFiles.roff("'br"));
    assertEquals("a \\efB b \\-\\-json", DistFiles.roff("a \\fB b --json"));
    assertEquals("one\n\\&.two", DistFiles.roff("one\n.two"));
  }

  @Test
  void theCompletionFilesAreWhatRobojailCompletionPrints() throws Exception {
    write();
    TestWorld world = TestWorld.in(Files.createDirectories(share.resolve("world")));
    for (Completions.Shell shell : Completions.Shell.values()) {
      Result printed = InProcess.run(world, "completion", shell.name());
      assertEquals(0, printed.code(), printed.toString());
      assertEquals(
          printed.out(),
          Files.readString(share.resolve(DistFiles.completionFile(shell))),
          shell.name());
    }
  }

  @Test
  void eachShellParsesItsFile() throws Exception {
    write();
    Programs.require("/bin/bash", "bash");
    Programs.require("/usr/bin/zsh", "zsh");
    Programs.require("/usr/bin/fish", "fish");
    for (List<Object> check :
        List.of(
            List.<Object>of(
                "/bin/bash", "-n", share.resolve(DistFiles.completionFile(Completions.Shell.bash))),
            List.<Object>of(
                "/usr/bin/zsh",
                "-n",
                share.resolve(DistFiles.completionFile(Completions.Shell.zsh))),
            List.<Object>of(
                "/usr/bin/fish",
                "-n",
                share.resolve(DistFiles.completionFile(Completions.Shell.fish))))) {
      Result r = run(check);
      assertEquals(0, r.code(), check + ": " + r.err());
      assertEquals("", r.err(), check.toString());
    }
    assertTrue(
        Files.readString(share.resolve(DistFiles.completionFile(Completions.Shell.zsh)))
            .startsWith("#compdef robojail\n"));
  }

  @Test
  void theSubcommandTableNamesEachCommandAsItsAnnotationDoes() {
    for (var sub : Robojail.SUBCOMMANDS.entrySet()) {
      assertEquals(sub.getKey(), sub.getValue().getAnnotation(Command.class).name());
    }
  }

  @Test
  void aNamedSubcommandGetsOnlyItsOwnModelAndAnythingElseAllOfThem() {
    Set<String> all = Robojail.SUBCOMMANDS.keySet();
    assertEquals(
        Set.of("list"), names(Robojail.commandLine(() -> null, new String[] {"list", "--json"})));
    assertEquals(
        Set.of("run"),
        names(Robojail.commandLine(() -> null, new String[] {"run", "j", "--", "list"})));
    assertEquals(all, names(Robojail.commandLine(() -> null, new String[] {"--help"})));
    assertEquals(all, names(Robojail.commandLine(() -> null, new String[] {"lst"})));
    assertEquals(all, names(Robojail.commandLine(() -> null, new String[] {})));
  }

  private static Set<String> names(CommandLine cl) {
    return new TreeSet<>(cl.getSubcommands().keySet());
  }

  private static Result run(List<?> argv) throws Exception {
    List<String> command = argv.stream().map(Object::toString).toList();
    Process p =
        new ProcessBuilder(command)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .start();
    var out = p.getInputStream().readAllBytes();
    var err = p.getErrorStream().readAllBytes();
    return new Result(
        p.waitFor(),
        new String(out, StandardCharsets.UTF_8),
        new String(err, StandardCharsets.UTF_8));
  }
}
